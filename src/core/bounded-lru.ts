/**
 * A map that keeps its most recently used entries only: setting or touching a key makes it the
 * newest, and past `capacity` the least recently used entry is forgotten. For process-wide
 * caches keyed by something users control (hosts, clusters), so they stay bounded whatever
 * the process connects to.
 */
export class BoundedLru<V> {
  private readonly entries = new Map<string, V>();

  constructor(readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** Store `value` under `key` as the newest entry, forgetting the oldest past capacity. */
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
