/**
 * mysql2's private members that aurora-ha reads for host monitoring, with why and the mysql2
 * versions they were checked against (the peer range starts at 3.22.2). Other mysql2 internals
 * still live beside their users (mysql2-physical-connection.ts, facades/mysql2/).
 */
import type { Connection } from 'mysql2';

interface Mysql2CommandInternals {
  /** The command on the wire (Query, Execute, Ping, ...), null when idle: mysql2 3.0 – 3.24. */
  _command?: object | null;
}

/**
 * The command mysql2 is running now (its own Command object), undefined when idle. Host
 * monitoring samples it to notice a command that runs too long. Checked: mysql2 3.9.0, 3.24.6.
 */
export function activeCommandOf(connection: Connection): object | undefined {
  return (connection as unknown as Mysql2CommandInternals)._command ?? undefined;
}
