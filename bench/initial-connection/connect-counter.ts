/**
 * Counts connection attempts per measured client: every TCP connect to a host name goes through
 * `dns.lookup` (pg and mysql2 connect through `net`), so a wrapper around the (emulator-patched)
 * lookup, attributing each call to the client whose async context made it (AsyncLocalStorage),
 * counts the physical connects that client tried, refused ones included.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import dns from 'node:dns';

const current = new AsyncLocalStorage<{ connects: number }>();

/** Run `work` with its connects counted in `counter.connects`. */
export function counted<T>(counter: { connects: number }, work: () => Promise<T>): Promise<T> {
  return current.run(counter, work);
}

/** Start counting (after the emulator patched `dns.lookup`); returns the function that stops it. */
export function installConnectCounter(): () => void {
  const inner = dns.lookup;
  const wrapper = (...args: unknown[]): void => {
    const store = current.getStore();
    if (store !== undefined) store.connects++;
    (inner as (...a: unknown[]) => void)(...args);
  };
  (dns as { lookup: unknown }).lookup = wrapper;
  return () => {
    if ((dns as { lookup: unknown }).lookup === wrapper) (dns as { lookup: unknown }).lookup = inner;
  };
}
