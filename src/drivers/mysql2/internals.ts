/**
 * mysql2's private members that aurora-ha reads, writes or calls, in one place, each with why and
 * the mysql2 versions it was checked against (peer range ^3.22.2; lockfile 3.24.6). Nothing else
 * in src/ reaches into an underscore member of mysql2 (eslint.config.js › driver internals fails
 * on one), except these deliberate exceptions, on the lint rule's allow-list:
 * - facades/mysql2/pool.ts: our Pool and PoolConnection run on mysql2's own
 *   PoolConnection.prototype (`release`, `_removeFromPool`, `_realEnd` are mysql2's), which reads
 *   and writes the pool's `_freeConnections` / `_allConnections` / `_connectionQueue` /
 *   `_closed` and the connection's `_pool` / `_released`: those fields must carry mysql2's names.
 * - facades/mysql2/delegate-members.ts lists mysql2's underscore members by name (strings, not
 *   member accesses) so that code written for mysql2 reading them on our connection reaches the
 *   mysql2 connection in use; aurora-ha itself reads none of them there.
 */
import type { Connection } from 'mysql2';

interface Mysql2ConnectionInternals {
  /** The command on the wire (Query, Execute, Ping, ...), null when idle. */
  _command?: object | null;
  /** The server's handshake (mysql2's 'connect' argument). */
  _handshakePacket?: { serverVersion?: unknown } | null;
  /** The error that closed the connection for good, and a protocol error. */
  _fatalError?: Error | null;
  _protocolError?: Error | null;
  /** True from the moment end() / destroy() was called. */
  _closing?: boolean;
}

function internals(connection: unknown): Mysql2ConnectionInternals | undefined {
  return typeof connection === 'object' && connection !== null ? connection : undefined;
}

/**
 * The command mysql2 is running now (its own Command object), undefined when idle. Host
 * monitoring samples it to notice a command that runs too long; the packet watch reads the
 * command a packet belongs to; close() tells whether its COM_QUIT is already on the wire.
 * Checked: mysql2 3.9.0, 3.22.2, 3.24.6.
 */
export function activeCommandOf(connection: Connection | object): object | undefined {
  return internals(connection)?._command ?? undefined;
}

/**
 * Runs `before(command, packet)` for every packet mysql2's connection receives, before mysql2
 * handles it (`handlePacket`, wrapped), with the command the packet belongs to (`_command`).
 * Why: mysql2 reads the server-status flags of OK / EOF packets but does not keep them; the
 * adapter reads them there (mysql2-server-status.ts). Checked: mysql2 3.22.2, 3.24.6.
 */
export function beforeEachPacket<P>(
  connection: object,
  before: (command: object | undefined, packet: P | null) => void,
): void {
  const c = connection as { handlePacket(packet: P | null): void };
  const original = c.handlePacket.bind(c);
  c.handlePacket = (packet) => {
    before(activeCommandOf(c), packet);
    original(packet);
  };
}

type QueryCallback = (err: unknown, rows?: unknown, fields?: unknown) => void;

/** mysql2 internals that queue a command without `Connection.prototype.query`. */
interface Mysql2Submit {
  addCommand?: (cmd: unknown) => unknown;
  config?: unknown;
  constructor: {
    createQuery?: (sql: unknown, values: unknown, cb: QueryCallback, config: unknown) => unknown;
  };
}

/**
 * Queues a query command built as `query()` builds one (`Connection.createQuery`, `addCommand`),
 * without `Connection.prototype.query` (traced and patched by instrumentation, and formatted with
 * the user's `queryFormat`). False, doing nothing, where these internals differ. Why: aurora-ha's
 * own statements (mysql2-physical-connection.ts `submitInternal`). Checked: mysql2 3.22.2, 3.24.6.
 */
export function queueQueryCommand(
  connection: object,
  options: { sql: string; rowsAsArray?: boolean },
  cb: QueryCallback,
): boolean {
  const internals = connection as Mysql2Submit;
  const createQuery = internals.constructor.createQuery;
  if (typeof internals.addCommand !== 'function' || typeof createQuery !== 'function') return false;
  internals.addCommand(createQuery(options, undefined, cb, internals.config));
  return true;
}

/**
 * mysql2's handshake packet of `connection` (undefined before the handshake, or for an object
 * that is no mysql2 connection). Why: mysql2's 'connect' event and connect() callback carry it,
 * and ours must too. Checked: mysql2 3.22.2, 3.24.6.
 */
export function handshakePacketOf(connection: unknown): unknown {
  return internals(connection)?._handshakePacket ?? undefined;
}

/**
 * The server version of mysql2's handshake (undefined when none). Why: dialect detection and
 * `serverVersion` need it without a query. Checked: mysql2 3.22.2, 3.24.6.
 */
export function handshakeServerVersionOf(connection: unknown): unknown {
  return internals(connection)?._handshakePacket?.serverVersion;
}

/**
 * The error that closed `connection` for good (`_fatalError`, else `_protocolError`). Why: as
 * mysql2's connect() callback, ours reports it. Checked: mysql2 3.22.2, 3.24.6.
 */
export function fatalErrorOf(connection: unknown): Error | undefined {
  const c = internals(connection);
  return c?._fatalError ?? c?._protocolError ?? undefined;
}

/**
 * mysql2's closing flag (`_closing`, true once end() / destroy() was called). Why: our
 * connection exposes the same flag, which code written for mysql2 reads. Checked: mysql2 3.22.2,
 * 3.24.6.
 */
export function mysql2Closing(connection: unknown): boolean {
  return internals(connection)?._closing === true;
}

/**
 * mysql2's formatting members of Connection.prototype: they read nothing but `this.config` (and
 * call each other, hence `_resolveNamedPlaceholders`). Why: our connection carries mysql2's own
 * functions, so formatting is mysql2's with the config in use. Checked: mysql2 3.22.2, 3.24.6.
 */
export const MYSQL2_FORMATTING_MEMBERS: readonly string[] = [
  'format',
  'escape',
  'escapeId',
  '_resolveNamedPlaceholders',
];

/**
 * The mysql2 connection a PreparedStatementInfo belongs to (`_connection`). Why: a statement
 * prepared on a connection that a failover replaced is prepared again on the new one. Checked:
 * mysql2 3.22.2, 3.24.6 (lib/commands/prepare.js).
 */
export function statementConnectionOf(statement: object): unknown {
  return (statement as { _connection?: unknown })._connection;
}

/** mysql2's PoolCluster bookkeeping that its `add()` maintains. */
interface PoolClusterInternals {
  _lastId: number;
  _nodes: Record<string, { id: string; errorCount: number; pool: object; _offlineUntil: number }>;
  _serviceableNodeIds: string[];
  _clearFindCaches(): void;
}

/**
 * mysql2's `PoolCluster.add(id?, config)` with a pool of ours: the node's id (`CLUSTER::<n>`
 * when none is given), its entry, the serviceable list and the cleared find caches, as mysql2
 * does; `makePool` is called only when the id is new. Why: mysql2 builds its own Pool in add().
 * Checked: mysql2 3.22.2, 3.24.6 (lib/pool_cluster.js).
 */
export function addPoolClusterNode(cluster: object, id: string | undefined, makePool: () => object): void {
  const self = cluster as PoolClusterInternals;
  const nodeId = id ?? `CLUSTER::${++self._lastId}`;
  if (self._nodes[nodeId] !== undefined) return;
  self._nodes[nodeId] = {
    id: nodeId,
    errorCount: 0,
    pool: makePool(),
    _offlineUntil: 0,
  };
  self._serviceableNodeIds.push(nodeId);
  self._clearFindCaches();
}
