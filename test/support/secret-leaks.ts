/**
 * Where does a secret show up in an error? Every own property (enumerable or not, symbol keys
 * included) of the error, of its `cause` chain, of AggregateError members and of nested
 * objects, plus `util.inspect` output with hidden properties: what a log line or a crash
 * report could show.
 */
import { inspect } from 'node:util';

function forms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])];
}

/** Paths (e.g. `cause.input`, `inspect`) at which `secret` appears in `value`; empty when none. */
export function secretLeaks(value: unknown, secret: string): string[] {
  const needles = forms(secret);
  const hits: string[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown, path: string, depth: number): void => {
    if (typeof v === 'string') {
      if (needles.some((n) => v.includes(n))) hits.push(path || '(value)');
      return;
    }
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || depth > 8) return;
    if (seen.has(v)) return;
    seen.add(v);
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d === undefined || !('value' in d)) continue; // accessors are not data a logger copies
      visit(d.value, path === '' ? String(key) : `${path}.${String(key)}`, depth + 1);
    }
  };
  visit(value, '', 0);
  const shown = inspect(value, { showHidden: true, depth: Infinity });
  if (needles.some((n) => shown.includes(n))) hits.push('inspect');
  return hits;
}
