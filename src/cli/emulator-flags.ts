/**
 * Flags of `aurora-ha emulator`, read from the emulator's option table (one flag per
 * startCluster option): parsed and checked before anything starts, an unknown flag answered
 * with "did you mean", a bad value with a ConfigurationError naming the flag.
 */
import { didYouMean } from '../core/did-you-mean.js';
import { ConfigurationError } from '../core/errors.js';
import { START_OPTIONS, type OptionRow } from '../emulator/option-table.js';
import { checkValue } from '../emulator/options.js';
import type { StartClusterOptions } from '../emulator/types.js';

const WHERE = 'emulator';

/** Rows settable from the command line, by flag. */
const BY_FLAG = new Map<string, OptionRow>(
  START_OPTIONS.rows.flatMap((r) => (r.flag === undefined ? [] : [[r.flag, r] as const])),
);

function usageOf(row: OptionRow, flag: string): string {
  switch (row.type) {
    case 'boolean':
      return `[--${flag}]`;
    case 'enum':
      return `[--${flag} ${row.values.join('|')}]`;
    case 'integer':
      return `[--${flag} N]`;
    case 'string':
      return `[--${flag} ${row.name === 'region' ? 'R' : flag.toUpperCase().replace(/-/g, '_')}]`;
  }
}

/** The usage line, from the table. */
export function emulatorUsage(): string {
  const flags = [...BY_FLAG].map(([flag, row]) => usageOf(row, flag));
  const lines: string[] = [];
  let line = 'usage: aurora-ha emulator';
  for (const f of flags) {
    if (line.length + f.length + 1 > 100) {
      lines.push(line);
      line = ' '.repeat('usage: aurora-ha emulator'.length);
    }
    line += ` ${f}`;
  }
  lines.push(line);
  return lines.join('\n');
}

function unknownFlag(flag: string): ConfigurationError {
  const suggestion = didYouMean(flag, new Map([...BY_FLAG.keys(), 'help'].map((f) => [f, f])));
  return new ConfigurationError(
    suggestion ?? flag,
    `${WHERE}: unknown flag --${flag}${suggestion === undefined ? ' (try --help)' : `: did you mean --${suggestion}?`}`,
  );
}

function convert(row: OptionRow, flag: string, text: string): unknown {
  let value: unknown = text;
  if (row.type === 'integer' && /^-?\d+$/.test(text)) value = Number(text);
  if (row.type === 'boolean' && (text === 'true' || text === 'false')) value = text === 'true';
  checkValue(WHERE, row, value, `--${flag}`);
  return value;
}

export interface EmulatorFlags {
  help: boolean;
  options: StartClusterOptions;
}

/** Parse `--flag value`, `--flag=value` and bare boolean flags; `engine` defaults to postgres. */
export function parseEmulatorFlags(argv: readonly string[]): EmulatorFlags {
  const given: Record<string, unknown> = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--'))
      throw new ConfigurationError(
        WHERE,
        `${WHERE}: unexpected argument ${JSON.stringify(arg)} (try --help)`,
      );
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const row = BY_FLAG.get(flag);
    if (!row) throw unknownFlag(flag);
    let text: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (text === undefined && row.type !== 'boolean') {
      text = argv[i + 1];
      if (text === undefined || text.startsWith('--'))
        throw new ConfigurationError(row.name, `${WHERE}: --${flag} needs a value`);
      i++;
    }
    given[row.name] = text === undefined ? true : convert(row, flag, text);
  }
  const options = { engine: 'postgres', ...given } as StartClusterOptions;
  return { help, options };
}
