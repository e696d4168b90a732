/**
 * A process-wide registry of shared objects with reference counts: one entry per key (a
 * cluster, a host), created by its first user, evicted when the last user gives it back
 * (optionally after a linger, so a connection that closes and reopens keeps it warm). Nothing
 * outlives its users, so the registry never grows with connections or queries. Every
 * registry is listed in ARCHITECTURE.md › Process-wide registries.
 */
interface Entry<V> {
  readonly value: V;
  refs: number;
  linger: NodeJS.Timeout | undefined;
}

export interface RegistryOptions<V> {
  /** How long an entry nobody uses stays (default 0: evicted with its last reference). */
  readonly lingerMs?: number;
  /** Called once when an entry leaves the registry (close its sockets, stop its timers). */
  readonly onEvict?: (value: V, key: string) => void;
}

export class RefCountedRegistry<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(private readonly options: RegistryOptions<V> = {}) {}

  /** Take a reference on the entry of `key`, created by `create` when none is live. */
  acquire(key: string, create: () => V): V {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { value: create(), refs: 0, linger: undefined };
      this.entries.set(key, entry);
    }
    return this.take(entry);
  }

  /** Take a reference on the first live entry whose value matches, if any. */
  acquireWhere(matches: (value: V) => boolean): V | undefined {
    for (const entry of this.entries.values()) if (matches(entry.value)) return this.take(entry);
    return undefined;
  }

  /**
   * Give back a reference to `value` (the entry of `key`). Returns true when this evicted the
   * entry now; false when others still hold it, when it lingers, or when `value` is not the
   * live entry of `key` (an older one already evicted).
   */
  release(key: string, value: V): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.value !== value) return false;
    entry.refs--;
    if (entry.refs > 0) return false;
    const lingerMs = this.options.lingerMs ?? 0;
    if (lingerMs <= 0) {
      this.evict(key, entry);
      return true;
    }
    entry.linger = setTimeout(() => {
      entry.linger = undefined;
      if (entry.refs <= 0 && this.entries.get(key) === entry) this.evict(key, entry);
    }, lingerMs);
    entry.linger.unref();
    return false;
  }

  /** The live value of `key`, if any (no reference taken). */
  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** How many references the live entry of `key` has (0 when none or lingering). */
  refsOf(key: string): number {
    return this.entries.get(key)?.refs ?? 0;
  }

  /** Keys of the live entries. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** The live values. */
  values(): V[] {
    return [...this.entries.values()].map((e) => e.value);
  }

  get size(): number {
    return this.entries.size;
  }

  private take(entry: Entry<V>): V {
    if (entry.linger !== undefined) {
      clearTimeout(entry.linger);
      entry.linger = undefined;
    }
    entry.refs++;
    return entry.value;
  }

  private evict(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.options.onEvict?.(entry.value, key);
  }
}
