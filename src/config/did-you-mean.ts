/**
 * "Did you mean …?" for option names: finds the wrapper option a misspelled key was meant to be
 * (case, `_`/`-` and unit-suffix insensitive, then Levenshtein distance scaled by length).
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
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { canonical, distance };
    }
  }
  return best?.canonical;
}
