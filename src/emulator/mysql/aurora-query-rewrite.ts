/**
 * Rewrites Aurora MySQL metadata references in one SQL text so that MariaDB answers them
 * truthfully for this instance:
 *   information_schema.replica_host_status → mysql.aurora_replica_host_status (replicated table)
 *   @@aurora_server_id                     → this instance's id (a string literal)
 *   @@innodb_read_only                     → (@@read_only + 0) (1 on replicas)
 *   @@aurora_version                       → the emulated Aurora version
 *   SHOW VARIABLES LIKE 'aurora_version'   → one row (Variable_name, Value)
 * A variable that is a whole select-list item keeps its column name (`AS \`@@...\``).
 * String literals and comments are left alone. Works on latin1-decoded text so any byte
 * outside ASCII passes through unchanged.
 */

export const AURORA_TOPOLOGY_TABLE = 'mysql.aurora_replica_host_status';

export interface AuroraRewriteContext {
  readonly instanceId: string;
  readonly auroraVersion: string;
}

/** Cheap pre-check: only texts containing one of these words are rewritten. */
const TRIGGER = /aurora_server_id|innodb_read_only|replica_host_status|aurora_version/i;
const SHOW_VERSION =
  /^\s*show\s+(?:global\s+|session\s+)?variables\s+like\s+(['"])aurora(?:_|\\_)version\1\s*;?\s*$/i;
const TABLE = /`?information_schema`?\s*\.\s*`?replica_host_status`?/gi;
const SELECT_ITEM_BEFORE = /(?:\bselect(?:\s+distinct)?|,)\s*$/i;
const SELECT_ITEM_AFTER = /^\s*(?:,|;|$|\)|from\b|limit\b|union\b|into\b|order\b|where\b)/i;

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function replaceVariable(sql: string, name: string, replacement: string): string {
  const pattern = new RegExp(`@@(?:global\\.|session\\.)?${name}\\b`, 'gi');
  return sql.replace(pattern, (match: string, offset: number) => {
    const before = sql.slice(Math.max(0, offset - 40), offset);
    const after = sql.slice(offset + match.length, offset + match.length + 20);
    const wholeItem = SELECT_ITEM_BEFORE.test(before) && SELECT_ITEM_AFTER.test(after);
    return wholeItem ? `${replacement} AS \`${match}\`` : replacement;
  });
}

/** String literals and comments: their text is data, never rewritten. */
const LITERAL = /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|\/\*[\s\S]*?\*\/|(?:--\s|#)[^\n]*/g;
/** Marks a set-aside literal: above U+00FF, so it never occurs in latin1-decoded text. */
const PLACEHOLDER = /\uE000(\d+)\uE000/g;

/** The rewritten text, or `undefined` when nothing needed rewriting (the common case). */
export function rewriteAuroraQuery(sql: string, ctx: AuroraRewriteContext): string | undefined {
  if (!TRIGGER.test(sql)) return undefined;
  if (SHOW_VERSION.test(sql)) {
    return `SELECT 'aurora_version' AS Variable_name, ${sqlString(ctx.auroraVersion)} AS Value`;
  }
  const literals: string[] = [];
  const code = sql.replace(LITERAL, (literal: string) => `\uE000${literals.push(literal) - 1}\uE000`);
  if (!TRIGGER.test(code)) return undefined;
  let out = code.replace(TABLE, AURORA_TOPOLOGY_TABLE);
  out = replaceVariable(out, 'aurora_server_id', sqlString(ctx.instanceId));
  // `+ 0`: MariaDB 10.11 answers 0 for a boolean @@variable next to COUNT(*) in a query with FROM
  out = replaceVariable(out, 'innodb_read_only', '(@@read_only + 0)');
  out = replaceVariable(out, 'aurora_version', sqlString(ctx.auroraVersion));
  if (out === code) return undefined;
  return out.replace(PLACEHOLDER, (_m: string, index: string) => literals[Number(index)] ?? '');
}
