/**
 * The small FIFO/LIFO list a pool keeps its connections and waiters in, with the members
 * mysql2's pool lists have (`length`, `get`, `push`, `pop`, `shift`, `removeOne`), since code
 * written for mysql2 reads `pool._freeConnections.length` and the like.
 */
export class PoolQueue<T> {
  readonly #items: T[] = [];

  get length(): number {
    return this.#items.length;
  }

  get(index: number): T | undefined {
    return this.#items[index];
  }

  push(item: T): number {
    return this.#items.push(item);
  }

  pop(): T | undefined {
    return this.#items.pop();
  }

  shift(): T | undefined {
    return this.#items.shift();
  }

  removeOne(index: number): void {
    this.#items.splice(index, 1);
  }

  /** Remove `item` if present. */
  remove(item: T): void {
    const i = this.#items.indexOf(item);
    if (i >= 0) this.#items.splice(i, 1);
  }

  toArray(): T[] {
    return [...this.#items];
  }
}
