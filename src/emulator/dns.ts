/**
 * In-process DNS for the emulator's Aurora-style names: replaces `dns.lookup` and
 * `dns.promises.lookup` (what `net.connect`, hence `pg` and `mysql2`, use) while at least one
 * cluster runs, answers only for registered names and passes every other name through.
 *
 * Every way of reaching the resolver sees the patch: `require('node:dns').lookup`,
 * `dns.promises.lookup` (= `require('node:dns/promises')`), and ESM named imports
 * (`import { lookup } from 'node:dns'` / `'node:dns/promises'`), whose live bindings are
 * re-synchronised with `syncBuiltinESMExports()` on patch and on restore. A function captured
 * by value before the first cluster started (`const { lookup } = dns`) cannot be reached.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

/**
 * Answers the current address for a name, undefined when the name is not ours (the system
 * resolver answers it), or null when it is ours and has no address now (ENOTFOUND at once).
 */
export type NameResolver = (hostname: string) => string | null | undefined;

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address?: string | dns.LookupAddress[],
  family?: number,
) => void;

const resolvers = new Set<NameResolver>();
let originalLookup: typeof dns.lookup | undefined;
let originalPromisesLookup: typeof dns.promises.lookup | undefined;

function resolveOwn(hostname: string): string | null | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  for (const resolve of resolvers) {
    const address = resolve(name);
    if (address !== undefined) return address;
  }
  return undefined;
}

function wantsAll(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as { all?: unknown }).all === true;
}

function wantsOnlyV6(options: unknown): boolean {
  const family =
    typeof options === 'number'
      ? options
      : typeof options === 'object' && options !== null
        ? (options as { family?: unknown }).family
        : undefined;
  return family === 6 || family === 'IPv6';
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  (err as { hostname?: string }).hostname = hostname;
  return err;
}

function patchedLookup(hostname: string, ...rest: unknown[]): void {
  const callback = rest[rest.length - 1] as LookupCallback;
  const options = rest.length > 1 ? rest[0] : undefined;
  const address = typeof hostname === 'string' ? resolveOwn(hostname) : undefined;
  if (address === undefined || !originalLookup) {
    (originalLookup as (...a: unknown[]) => void)(hostname, ...rest);
    return;
  }
  process.nextTick(() => {
    if (address === null || wantsOnlyV6(options)) callback(notFound(hostname));
    else if (wantsAll(options)) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  });
}

async function patchedPromisesLookup(
  hostname: string,
  options?: unknown,
): Promise<dns.LookupAddress | dns.LookupAddress[]> {
  const address = resolveOwn(hostname);
  if (address === undefined || !originalPromisesLookup) {
    return (
      originalPromisesLookup as (h: string, o?: unknown) => Promise<dns.LookupAddress | dns.LookupAddress[]>
    )(hostname, options);
  }
  if (address === null || wantsOnlyV6(options)) throw notFound(hostname);
  return wantsAll(options) ? [{ address, family: 4 }] : { address, family: 4 };
}

/** Register a resolver; the first registration patches `dns`. Returns the unregister function (the last one restores `dns`). */
export function registerNames(resolver: NameResolver): () => void {
  if (resolvers.size === 0) {
    originalLookup = dns.lookup;
    originalPromisesLookup = dns.promises.lookup;
    (dns as { lookup: unknown }).lookup = patchedLookup;
    (dns.promises as { lookup: unknown }).lookup = patchedPromisesLookup;
    syncBuiltinESMExports();
  }
  resolvers.add(resolver);
  return () => {
    if (!resolvers.delete(resolver)) return;
    if (resolvers.size === 0 && originalLookup && originalPromisesLookup) {
      (dns as { lookup: unknown }).lookup = originalLookup;
      (dns.promises as { lookup: unknown }).lookup = originalPromisesLookup;
      originalLookup = undefined;
      originalPromisesLookup = undefined;
      syncBuiltinESMExports();
    }
  };
}

/** True while at least one cluster's names are served. */
export function dnsPatched(): boolean {
  return resolvers.size > 0;
}
