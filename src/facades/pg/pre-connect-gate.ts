/**
 * The pre-connect gate of an aurora-ha pg Client: calls made before `connect()` wait for it (as
 * pg queues them), and fail with the closed-client error when `end()` comes first.
 */
export class PreConnectGate {
  #connectCalled = false;
  /** Calls made before connect() wait here (as pg queues them). */
  #connectGate: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;

  /** True once connect() was called. */
  get called(): boolean {
    return this.#connectCalled;
  }

  /** connect() was called (the waiters are let through by open()). */
  markCalled(): void {
    this.#connectCalled = true;
  }

  /** Let the calls waiting for connect() through. */
  open(): void {
    this.#connectGate?.resolve();
  }

  /** end() before connect(): the waiting calls fail with `err`. */
  cancel(err: Error): void {
    this.#connectGate?.reject(err);
    this.#connectGate = undefined;
  }

  /** Resolves once connect() was called (now when it already was); rejects if end() comes first. */
  afterConnectCalled(): Promise<void> {
    if (this.#connectCalled) return Promise.resolve();
    if (this.#connectGate === undefined) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#connectGate = { promise, resolve, reject };
    }
    return this.#connectGate.promise;
  }
}
