/**
 * Counts what a process sends to the database, client side, by wrapping the native drivers'
 * entry points once: `pg.Client.prototype.query` (every statement pg sends, aurora-ha's
 * internal ones included) and mysql2's `addCommand` (every command after the handshake:
 * queries, prepared statements, pings, change-user, reset; not the handshake, not quit).
 * While recording, each entry keeps the native connection object it went to, so statements can
 * be told apart by connection (the user's, a monitor's, a probe's); otherwise only the total is
 * kept (entries would hold every connection ever opened: ~0.5 MB each for mysql2).
 */
import mysql2 from 'mysql2';
import pg from 'pg';

export interface Sent {
  /** The native connection object (pg.Client, mysql2's Connection). */
  readonly conn: object;
  /** The statement's text (the command's name when it has none), first line, shortened. */
  readonly sql: string;
}

/** Everything sent while recording, in order. */
export const sent: Sent[] = [];

/** Statements sent since install(), recorded or not; `bySql`: how many of each text. */
export const totals = { sent: 0, bySql: new Map<string, number>() };

let recording = true;

/** Keep entries (with their connections) in `sent`, or only count them. */
export function record(on: boolean): void {
  recording = on;
  if (!on) sent.length = 0;
}

function note(conn: object, sql: () => string): void {
  totals.sent++;
  const text = sql();
  totals.bySql.set(text, (totals.bySql.get(text) ?? 0) + 1);
  if (recording) sent.push({ conn, sql: text });
}

const COUNTED_COMMANDS: ReadonlySet<string> = new Set([
  'Query',
  'Execute',
  'Prepare',
  'Ping',
  'ChangeUser',
  'ResetConnection',
]);

function shorten(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 90 ? `${one.slice(0, 87)}...` : one;
}

function pgText(arg: unknown): string {
  if (typeof arg === 'string') return shorten(arg);
  if (typeof arg === 'object' && arg !== null && typeof (arg as { text?: unknown }).text === 'string')
    return shorten((arg as { text: string }).text);
  return '(pg query object)';
}

type Method = (this: object, ...args: unknown[]) => unknown;

let installed = false;

/** Wrap both drivers' entry points (once per process). */
export function install(): void {
  if (installed) return;
  installed = true;
  const pgProto = pg.Client.prototype as unknown as { query: Method };
  const pgQuery = pgProto.query;
  pgProto.query = function (this: object, ...args: unknown[]): unknown {
    note(this, () => pgText(args[0]));
    return pgQuery.apply(this, args);
  };
  // addCommand lives on mysql2's base connection class, above the exported Connection.
  let proto: object | null = (mysql2 as unknown as { Connection: { prototype: object } }).Connection
    .prototype;
  while (proto !== null && !Object.hasOwn(proto, 'addCommand'))
    proto = Object.getPrototypeOf(proto) as object;
  if (proto === null) throw new Error("mysql2's addCommand not found: the statement counter needs updating");
  const owner = proto as { addCommand: Method };
  const addCommand = owner.addCommand;
  owner.addCommand = function (this: object, ...args: unknown[]): unknown {
    const cmd = args[0] as { constructor: { name: string }; sql?: unknown; query?: unknown };
    const name = cmd.constructor.name;
    if (COUNTED_COMMANDS.has(name)) {
      note(this, () =>
        shorten(typeof cmd.sql === 'string' ? cmd.sql : typeof cmd.query === 'string' ? cmd.query : name),
      );
    }
    return addCommand.apply(this, args);
  };
}
