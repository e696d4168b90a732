/**
 * Issue 20, the failover base alone (no engine): a call refused read-only by an instance the role
 * check confirms is not the writer is sent again once on the replacement; what happens when the
 * resend fails (read-only again: the raw error; a network error: that failure's outcome), that
 * `sendOnce` calls are never resent, and what is not resent (a transaction, autocommit off, an
 * unconfirmed role, a network error). The integration suites (failover-resend-*.test.ts) show the
 * same on real engines.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import {
  sendOnce,
  type ExecuteNext,
  type NetworkMethod,
  type PluginService,
} from '../../src/connection/plugin.js';
import { FailoverSuccessError, TransactionResolutionUnknownError } from '../../src/core/errors.js';
import type { ErrorKind, PhysicalConnection, SessionState } from '../../src/drivers/driver.js';
import { makeHost, type HostInfo, type HostRole } from '../../src/drivers/host-info.js';
import type { FailoverContext, FailoverResult } from '../../src/plugins/failover-core/failover-context.js';
import { FailoverPluginBase } from '../../src/plugins/failover-core/failover-plugin-base.js';

const ENDPOINT = 'db.cluster-abc123.us-east-1.rds.amazonaws.com';

class Conn implements PhysicalConnection {
  closed = false;
  native = {};
  inTx = false;
  autocommit: boolean | undefined;
  constructor(
    readonly host: HostInfo,
    readonly role: HostRole,
  ) {}
  queryRows(): Promise<unknown[][]> {
    return Promise.resolve([]);
  }
  inTransaction(): boolean {
    return this.inTx;
  }
  acceptsQueries(): boolean {
    return !this.closed;
  }
  reportedSessionState(): SessionState {
    return this.autocommit === undefined ? {} : { autocommit: this.autocommit };
  }
  abort(): void {
    this.closed = true;
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  onError(): void {}
}

const oldWriter = makeHost('instance-1.abc123.us-east-1.rds.amazonaws.com', 5432, { role: 'reader' });
const newWriter = makeHost('instance-2.abc123.us-east-1.rds.amazonaws.com', 5432, { role: 'writer' });

function errorOf(kind: ErrorKind): Error {
  return Object.assign(new Error(`injected ${kind}`), { kind });
}

/** A plugin service over fake connections: what the base reads, nothing more. */
function fakeService(first: Conn): PluginService & { switches: number; conn: Conn } {
  const config = resolveConfig('postgres', { host: ENDPOINT, user: 'u', failoverTimeoutMs: 2000 });
  const state = { conn: first, host: first.host, switches: 0 };
  const service = {
    config,
    initialUrlType: 'writer-cluster',
    initialHost: makeHost(ENDPOINT, 5432),
    dialect: undefined,
    closing: false,
    get current() {
      return state.conn;
    },
    get conn() {
      return state.conn;
    },
    get currentHost() {
      return state.host;
    },
    get switches() {
      return state.switches;
    },
    inTransaction: () => state.conn.inTransaction(),
    classify: (err: unknown) => (err as { kind?: ErrorKind }).kind ?? 'other',
    hostRole: (conn: PhysicalConnection) => Promise.resolve((conn as Conn).role),
    // The role check's separate connection (inside a transaction): to the same instance.
    forceConnect: () => Promise.resolve(new Conn(state.conn.host, state.conn.role)),
    hosts: () => [oldWriter, newWriter],
    setAvailability: () => undefined,
    sessionState: () => ({}),
    setCurrentConnection: (conn: Conn, host: HostInfo) => {
      state.conn.abort();
      state.conn = conn;
      state.host = host;
      state.switches++;
      return Promise.resolve();
    },
  };
  return service as unknown as PluginService & { switches: number; conn: Conn };
}

/** The base with a search that always finds a fresh connection to the new writer. */
class StubFailover extends FailoverPluginBase {
  readonly code = 'stub';
  protected readonly writerWord = 'writer';
  protected topologyKnown(): boolean {
    return true;
  }
  protected clusterHosts(): readonly HostInfo[] {
    return [oldWriter, newWriter];
  }
  protected learnTopology(): Promise<HostInfo | undefined> {
    return Promise.resolve(undefined);
  }
  protected search(_ctx: FailoverContext): Promise<FailoverResult> {
    return Promise.resolve({ conn: new Conn(newWriter, 'writer'), host: newWriter });
  }
}

const next: ExecuteNext = <T>(_method: NetworkMethod, run: () => Promise<T>): Promise<T> => run();

/** A call whose answers, one per send, are given in order; `sends` counts the sends and where they went. */
function scripted(service: { conn: Conn }, answers: readonly (ErrorKind | 'ok')[]) {
  const sent: string[] = [];
  const run = (): Promise<string> => {
    const answer = answers[sent.length] ?? 'ok';
    sent.push(service.conn.host.host.split('.')[0]!);
    return answer === 'ok' ? Promise.resolve('result') : Promise.reject(errorOf(answer));
  };
  return { run, sent };
}

function setup(configure: (c: Conn) => void = () => undefined) {
  const first = new Conn(oldWriter, 'reader');
  configure(first);
  const service = fakeService(first);
  return { service, plugin: new StubFailover(service) };
}

describe('failover base: a write refused read-only by a confirmed non-writer is sent again (issue 20)', () => {
  it('outside a transaction: moved once, sent again on the new writer, the call resolves with its result', async () => {
    const { service, plugin } = setup();
    const call = scripted(service, ['read-only', 'ok']);
    await expect(plugin.execute('query', call.run, next)).resolves.toBe('result');
    expect(call.sent).toEqual(['instance-1', 'instance-2']);
    expect(service.switches).toBe(1);
  });

  it('read-only again on the resend: the raw driver error, no second failover, no third send', async () => {
    const { service, plugin } = setup();
    const call = scripted(service, ['read-only', 'read-only']);
    const err = await plugin.execute('query', call.run, next).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: 'injected read-only' });
    expect(call.sent).toEqual(['instance-1', 'instance-2']);
    expect(service.switches).toBe(1);
  });

  it('a network error on the resend: the outcome of that failure (a second failover), no third send', async () => {
    const { service, plugin } = setup();
    const call = scripted(service, ['read-only', 'network']);
    const err = await plugin.execute('query', call.run, next).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect((err as FailoverSuccessError).cause).toMatchObject({ message: 'injected network' });
    expect(call.sent).toEqual(['instance-1', 'instance-2']);
    expect(service.switches).toBe(2);
  });

  it('a sendOnce call (mysql2 emitter form) is not resent: FailoverSuccessError', async () => {
    const { service, plugin } = setup();
    const call = scripted(service, ['read-only', 'ok']);
    const err = await plugin.execute('query', sendOnce(call.run), next).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(call.sent).toEqual(['instance-1']);
    expect(service.switches).toBe(1);
  });

  it.each([
    ['inside a transaction', (c: Conn) => void (c.inTx = true)],
    ['MySQL autocommit off (status flags)', (c: Conn) => void (c.autocommit = false)],
  ])('%s: TransactionResolutionUnknownError, not resent', async (_what, configure) => {
    const { service, plugin } = setup(configure);
    const call = scripted(service, ['read-only', 'ok']);
    const err = await plugin.execute('query', call.run, next).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionResolutionUnknownError);
    expect(call.sent).toEqual(['instance-1']);
    expect(service.switches).toBe(1);
  });

  it('a network error mid-statement (it may have applied): FailoverSuccessError, not resent', async () => {
    const { service, plugin } = setup();
    const call = scripted(service, ['network', 'ok']);
    const err = await plugin.execute('query', call.run, next).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailoverSuccessError);
    expect(call.sent).toEqual(['instance-1']);
  });

  it("the instance says it is still the writer (the user's own read-only): the raw error, no move, not resent", async () => {
    const first = new Conn(oldWriter, 'writer');
    const service = fakeService(first);
    const plugin = new StubFailover(service);
    const call = scripted(service, ['read-only', 'ok']);
    const err = await plugin.execute('query', call.run, next).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: 'injected read-only' });
    expect(call.sent).toEqual(['instance-1']);
    expect(service.switches).toBe(0);
  });

  it('two calls refused together share one role check and one failover, and each is resent once', async () => {
    const { service, plugin } = setup();
    const a = scripted(service, ['read-only', 'ok']);
    const b = scripted(service, ['read-only', 'ok']);
    const both = await Promise.all([
      plugin.execute('query', a.run, next),
      plugin.execute('query', b.run, next),
    ]);
    expect(both).toEqual(['result', 'result']);
    expect([a.sent, b.sent]).toEqual([
      ['instance-1', 'instance-2'],
      ['instance-1', 'instance-2'],
    ]);
    expect(service.switches).toBe(1);
  });
});
