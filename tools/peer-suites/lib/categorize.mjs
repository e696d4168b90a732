// Groups failing tests by their first error line (the part before the first " | " of the recorded
// stack, with numbers of 4+ digits - ports, timeouts, ids - written N so that they group together).
export const firstLine = (error) =>
  String(error || '(no error recorded)')
    .split(' | ')[0]
    .trim()
    .replace(/\d{4,}/g, 'N')
    .slice(0, 200) || '(no error recorded)';

export function groups(failing) {
  const byKey = new Map();
  for (const r of failing) {
    const key = firstLine(r.error);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(r);
  }
  return [...byKey].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
}

// text for categories.txt: every failing test under its group
export function categoriesText(regressions) {
  const out = [
    '# Raw-passing tests that do not pass under aurora-ha, grouped by their first error line',
    '# (numbers of 4+ digits are written N). "not run (...)" = the file stopped before reaching the test.',
  ];
  for (const [suite, modes] of Object.entries(regressions)) {
    for (const [mode, failing] of Object.entries(modes)) {
      const g = groups(failing);
      out.push(
        '',
        `## ${suite} ${mode}: ${failing.length} raw-passing tests fail (${g.length} distinct first error lines)`,
      );
      for (const [key, rs] of g) {
        out.push(`${String(rs.length).padStart(5)} × ${key}`);
        for (const r of rs) out.push(`          ${r.verdict.padEnd(10)} ${r.test}`);
      }
    }
  }
  return out.join('\n') + '\n';
}
