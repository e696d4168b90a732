/**
 * The option tables of docs/emulator.md, rendered from option-table.ts (a test keeps the doc's
 * section equal to this output; test/support/write-emulator-options-doc.ts rewrites it).
 */
import { OPTION_TABLES, type OptionRow, type OptionTable } from './option-table.js';
import { accepted } from './options.js';

export const DOC_BEGIN = '<!-- emulator-options:begin (generated from src/emulator/option-table.ts) -->';
export const DOC_END = '<!-- emulator-options:end -->';

function defaultOf(row: OptionRow): string {
  if (row.defaultDoc !== undefined) return row.defaultDoc;
  if (row.default === undefined) return row.required === true ? '(required)' : '(none)';
  return typeof row.default === 'string' ? `\`'${row.default}'\`` : `\`${String(row.default)}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function tableOf(table: OptionTable): string {
  const header = [
    `\`${table.where}(${table.where === 'startCluster' ? 'options' : table.where === 'partition' ? 'id, options' : 'options?'})\`:`,
    '',
    '| option | type | accepted | default | CLI | meaning |',
    '|---|---|---|---|---|---|',
  ];
  const rows = table.rows.map(
    (r) =>
      `| \`${r.name}\` | ${r.type} | ${cell(accepted(r))} | ${cell(defaultOf(r))} | ${r.flag === undefined ? '' : `\`--${r.flag}\``} | ${cell(r.doc)} |`,
  );
  return [...header, ...rows].join('\n');
}

/** The generated section, markers included. */
export function emulatorOptionsMarkdown(): string {
  return [DOC_BEGIN, ...OPTION_TABLES.map(tableOf), DOC_END].join('\n\n');
}
