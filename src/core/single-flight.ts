/**
 * "Share one operation in flight": callers that need the same work while it runs join it
 * instead of starting it again (calls failing together join one failover, one role check,
 * one late topology read). The slot empties itself when the work settles, so nothing is
 * cached past its life and nothing grows.
 */
export class SingleFlight<K, T> {
  private current: { readonly key: K; readonly promise: Promise<T> } | undefined;

  /** The work in flight for `key`, if any. */
  joinable(key: K): Promise<T> | undefined {
    const c = this.current;
    return c !== undefined && c.key === key ? c.promise : undefined;
  }

  /** The work in flight for `key`, or `start()` run now (replacing work for another key). */
  run(key: K, start: () => Promise<T>): Promise<T> {
    const running = this.joinable(key);
    if (running !== undefined) return running;
    const promise = start();
    const entry = { key, promise };
    this.current = entry;
    const clear = (): void => {
      if (this.current === entry) this.current = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }
}
