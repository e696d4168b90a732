/**
 * "Did you mean …?" for option names: finds the wrapper option a misspelled key was meant to be
 * (case, `_`/`-` and unit-suffix insensitive, then Levenshtein distance scaled by length, then
 * names one whole word apart: `topologyRefreshRateMs` → `topologyRefreshMs`).
 */

/** Lower case with `_`, `-` and `.` removed: `failover_timeout_ms` → `failovertimeoutms`. */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[_.-]/g, '');
}

const UNIT_SUFFIX = /(milliseconds|millis|msec|ms|seconds|second|secs|sec|s)$/;

function withoutUnit(normalized: string): string {
  return normalized.replace(UNIT_SUFFIX, '');
}

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** Words of a name, without unit words: `failover_timeout_sec` / `failoverTimeoutMs` → failover, timeout. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0 && !UNIT_WORDS.has(w));
}

const UNIT_WORDS = new Set(['ms', 'msec', 'millis', 'milliseconds', 's', 'sec', 'secs', 'second', 'seconds']);

/** True when the two names differ by exactly one whole word and share at least two. */
function oneWordApart(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  const shared = [...sa].filter((w) => sb.has(w)).length;
  return shared >= 2 && sa.size + sb.size - 2 * shared === 1;
}

/**
 * The candidate `key` most likely stands for, or undefined when it is not a near miss.
 * `candidates` maps every accepted spelling (canonical names and aliases) to its canonical name.
 */
export function didYouMean(key: string, candidates: ReadonlyMap<string, string>): string | undefined {
  const k = normalizeKey(key);
  const kBase = withoutUnit(k);
  let best: { canonical: string; distance: number } | undefined;
  for (const [spelling, canonical] of candidates) {
    const c = normalizeKey(spelling);
    if (c === k) return canonical;
    const cBase = withoutUnit(c);
    if (kBase.length >= 6 && kBase === cBase) return canonical;
    const distance = Math.min(levenshtein(k, c), levenshtein(kBase, cBase) + 1);
    // Short names tolerate one edit, longer ones up to three.
    const limit = Math.min(3, Math.max(1, Math.floor(c.length / 6)));
    const score =
      distance <= limit ? distance : oneWordApart(words(key), words(spelling)) ? limit + 1 : undefined;
    if (score !== undefined && (best === undefined || score < best.distance)) {
      best = { canonical, distance: score };
    }
  }
  return best?.canonical;
}
