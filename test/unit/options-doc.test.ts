// docs/configuration.md must carry exactly the option table generated from src/config/options-table.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTIONS, canonicalName } from '../../src/config/options-table.js';
import { DOC_END, DOC_START, renderOptionsTable, withOptionsTable } from '../../src/config/options-doc.js';

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

describe('docs/configuration.md option table', () => {
  it('is the table rendered from the code (run `npm run docs:options` after changing options)', () => {
    expect(withOptionsTable(doc)).toBe(doc);
    const section = doc.slice(doc.indexOf(DOC_START), doc.indexOf(DOC_END));
    expect(section).toContain(renderOptionsTable());
  });

  it('lists every option with its seed names and default', () => {
    for (const spec of OPTIONS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${canonicalName(spec)}\` |`));
      expect(row, spec.name).toBeDefined();
      for (const alias of spec.aliases) expect(row).toContain(`\`${alias.name}\``);
      expect(row).toContain(spec.defaultText);
    }
  });

  it('detects drift: a changed default makes the rendered table differ', () => {
    const changed = doc.replace('| `300000` |', '| `60000` |');
    expect(changed).not.toBe(doc);
    expect(withOptionsTable(changed)).not.toBe(changed);
  });
});

describe('README parameter table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const lines = readme.split('\n');
  const header = lines.findIndex((l) => l.startsWith('| option | default |'));
  const end = lines.findIndex((l, i) => i > header && !l.startsWith('|'));
  const rows = lines
    .slice(header + 2, end)
    .map((l) => /^\| `(\w+)` \| ([^|]+) \|/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);

  it('names only real options and shows the code defaults', () => {
    expect(header).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(10);
    for (const [, name, def] of rows) {
      const spec = OPTIONS.find((s) => s.name === name);
      expect(spec, `README option ${name}`).toBeDefined();
      const literal = spec!.defaultText.startsWith('`') ? spec!.defaultText : `\`${spec!.defaultText}\``;
      // Literal defaults must match exactly; prose defaults (host-dependent) are worded freely.
      if (/^`[^`]*`$/.test(def!.trim())) expect(def!.trim(), name).toBe(literal);
    }
  });
});
