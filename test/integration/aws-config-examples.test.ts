/**
 * AWS's Node wrapper configuration examples (aws/aws-advanced-nodejs-wrapper: examples/ and
 * docs/, commit 0f75b97) run verbatim against the emulator: host, port, user, password and
 * database are the emulator's; every AWS option is kept as written. Also: AWS's default plugin
 * string, `enableClusterAwareFailover: false`, and keys AWS supports that we do not.
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { Client } from '../../src/pg.js';
import { PromiseConnection } from '../../src/mysql2-promise.js';
import { ConfigurationError, FailoverSuccessError } from '../../src/core/errors.js';
import { AWS_IGNORED_WARNING } from '../../src/config/aws-wrapper-properties.js';
import type { EmulatedCluster } from '../../src/emulator.js';
import { useCluster } from '../support/cluster.js';
import { rejection, writerId } from '../support/failover-harness.js';

/** The emulator's stand-ins for the example's host/port/user/password/database constants. */
function pgParams(c: EmulatedCluster): {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
} {
  const { user, password, database } = c.credentials;
  return { host: c.writerEndpoint.host, port: c.writerEndpoint.port, user, password, database };
}

let warnings: MockInstance<typeof process.emitWarning>;
beforeEach(() => {
  warnings = vi.spyOn(process, 'emitWarning');
});
afterEach(() => {
  warnings.mockRestore();
});

function awsWarningsAbout(key: string): number {
  return warnings.mock.calls.filter(
    (c) =>
      String(c[0]).includes(`\`${key}\``) &&
      typeof c[1] === 'object' &&
      c[1] !== null &&
      (c[1] as { code?: string }).code === AWS_IGNORED_WARNING,
  ).length;
}

describe('AWS Node wrapper examples on PostgreSQL', () => {
  const cluster = useCluster({ engine: 'postgres', instances: 2 });
  const clients: Client[] = [];
  const track = (c: Client): Client => {
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  });

  it('aws_simple_connection_postgresql_example: connects and queries the instance id', async () => {
    const { host, port, user, password, database } = pgParams(cluster());
    const client = track(
      new Client({
        // Configure connection parameters.
        host: host,
        port: port,
        user: user,
        password: password,
        database: database,
      }),
    );
    await client.connect();
    const result = await client.query('select pg_catalog.aurora_db_instance_identifier()');
    expect(result.rows[0]).toEqual({ aurora_db_instance_identifier: writerId(cluster()) });
  });

  it("AWS's default plugin string works as written (before: ConfigurationError for auroraConnectionTracker)", async () => {
    const client = track(
      new Client({
        ...pgParams(cluster()),
        plugins: 'initialConnection,auroraConnectionTracker,failover2,efm2',
      }),
    );
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('UsingTheAuroraInitialConnectionStrategyPlugin: plugins "initialConnection", openConnectionRetryTimeoutMs 40000', async () => {
    for (const params of [{ plugins: 'initialConnection' }, { openConnectionRetryTimeoutMs: 40000 }]) {
      const client = track(new Client({ ...pgParams(cluster()), ...params }));
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    }
  });

  it('UsingTheHostMonitoringPlugin (PostgreSQL): connects; monitoring_query_timeout warned about once (the driver-config side: unit test)', async () => {
    const params = {
      plugins: 'efm',
      query_timeout: 120000,
      monitoring_query_timeout: 1000,
      connectionTimeoutMillis: 1000,
    };
    const client = track(new Client({ ...pgParams(cluster()), ...params }));
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(awsWarningsAbout('monitoring_query_timeout')).toBe(1);
  });

  it('readerHostSelectorStrategy (the key of UsingTheReadWriteSplittingPlugin) chooses the reader of initialConnection; clusterTopologyRefreshRateMs accepted (before: "did you mean failoverReaderHostSelectorStrategy")', async () => {
    const client = track(
      new Client({
        ...pgParams(cluster()),
        host: cluster().readerEndpoint.host,
        plugins: 'initialConnection,failover',
        readerHostSelectorStrategy: 'random',
        clusterTopologyRefreshRateMs: 5000,
      }),
    );
    await client.connect();
    const r = await client.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r');
    expect(r.rows[0]!.r).toBe(true);
  });

  it('keys and plugins AWS supports and we do not yet are a ConfigurationError naming them (before: iamRegion went to pg)', () => {
    const params = pgParams(cluster());
    // Issue 22: `iam` is ours; IAM logins are TLS only, so without `ssl` it is refused naming it.
    const noTls = (() => {
      try {
        new Client({ ...params, plugins: 'iam', iamRegion: 'us-east-2' });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(noTls).toBeInstanceOf(ConfigurationError);
    expect((noTls as ConfigurationError).option).toBe('ssl');
    expect(() => new Client({ ...params, iamRegion: 'us-east-2' })).not.toThrow();
    // UsingTheNodejsWrapper.md: plugins "iam,failover"; UsingTheFastestResponseStrategyPlugin.md;
    // UsingTheBlueGreenPlugin.md.
    expect(() => new Client({ ...params, plugins: 'iam,failover' })).toThrow(/only over TLS/);
    expect(
      () =>
        new Client({
          ...params,
          plugins: 'readWriteSplitting,fastestResponseStrategy,failover,efm',
          readerHostSelectorStrategy: 'fastestResponse',
        }),
    ).not.toThrow(); // readWriteSplitting is a plugin of ours (docs/read-scaling.md › setReadOnly)
    expect(
      () =>
        new Client({
          ...params,
          plugins: 'bg',
          wrapperConnectTimeout: 60000,
          blue_green_monitoring_wrapperConnectTimeout: 10000,
        }),
    ).toThrow(/Plugin `bg`.*not supported yet/);
  });

  it('enableClusterAwareFailover: false disables failover: the failing call gets the raw error (before: failover stayed on)', async () => {
    // Control: with failover on, a connection killed under a call fails over.
    const on = track(new Client({ ...pgParams(cluster()) }));
    await on.connect();
    const moved = await rejection(
      on.query('SELECT pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid())'),
    );
    expect(moved).toBeInstanceOf(FailoverSuccessError);

    const off = track(new Client({ ...pgParams(cluster()), enableClusterAwareFailover: false }));
    off.on('error', () => undefined);
    await off.connect();
    const raw = await rejection(
      off.query('SELECT pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid())'),
    );
    expect(raw).not.toBeInstanceOf(FailoverSuccessError);
    expect(raw).toBeInstanceOf(Error);
    expect((raw as { code?: string }).code).toBe('57P01');
  });

  // Last: it moves the writer.
  it('aws_failover_postgresql_example: a writer failover gives FailoverSuccessError, the example re-runs and succeeds', async () => {
    const client = track(
      new Client({
        // Configure connection parameters, failover plugin enabled by default.
        ...pgParams(cluster()),
      }),
    );
    await client.connect();
    await client.query('SET TIME ZONE UTC');
    await client.query('CREATE TABLE IF NOT EXISTS bank_test (name varchar(40), account_balance int)');
    await client.query("INSERT INTO bank_test VALUES ('Jane Doe', 200), ('John Smith', 200)");
    const { newWriter } = await cluster().failover();
    const query = "UPDATE bank_test SET account_balance=account_balance - 100 WHERE name='Jane Doe'";
    const err = await rejection(client.query(query));
    expect(err).toBeInstanceOf(FailoverSuccessError);
    // The example: re-run the session settings, then the query.
    await client.query('SET TIME ZONE UTC');
    const result = await client.query(query);
    expect(result.rowCount).toBe(1);
    const id = await client.query<{ id: string }>('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
    expect(id.rows[0]!.id).toBe(newWriter);
  });
});

describe('AWS Node wrapper examples on MySQL (MariaDB)', () => {
  const cluster = useCluster({ engine: 'mysql', instances: 2 });
  const conns: PromiseConnection[] = [];
  const track = (c: PromiseConnection): PromiseConnection => {
    conns.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(conns.splice(0).map((c) => c.end().catch(() => undefined)));
  });
  const params = (): { host: string; port: number; user: string; password: string; database: string } => {
    const c = cluster();
    const { user, password, database } = c.credentials;
    return { host: c.writerEndpoint.host, port: c.writerEndpoint.port, user, password, database };
  };
  const serverId = async (c: PromiseConnection): Promise<string> => {
    const [rows] = (await c.query({ sql: 'SELECT @@aurora_server_id' })) as [
      Record<string, unknown>[],
      unknown,
    ];
    return String(rows[0]!['@@aurora_server_id']);
  };

  it('aws_simple_connection_mysql_example / UsingTheAwsClients: connects and reads @@aurora_server_id', async () => {
    const { host, port, user, password } = params();
    const client = track(
      new PromiseConnection({
        // Configure connection parameters.
        host: host,
        port: port,
        user: user,
        password: password,
      }),
    );
    await client.connect();
    expect(await serverId(client)).toBe(writerId(cluster()));
  });

  it('UsingTheHostMonitoringPlugin (MySQL): wrapperQueryTimeout / monitoring_wrapperQueryTimeout warned about, connects', async () => {
    const client = track(
      new PromiseConnection({
        ...params(),
        plugins: 'efm',
        connectTimeout: 1000,
        wrapperQueryTimeout: 120000,
        monitoring_wrapperQueryTimeout: 1000,
      }),
    );
    await client.connect();
    expect(await serverId(client)).toBe(writerId(cluster()));
    expect(awsWarningsAbout('monitoring_wrapperQueryTimeout')).toBe(1);
    expect(awsWarningsAbout('wrapperQueryTimeout')).toBe(1);
  });

  it("AWS's default plugin string works as written (before: ConfigurationError for auroraConnectionTracker)", async () => {
    const aws = track(
      new PromiseConnection({
        ...params(),
        plugins: 'initialConnection,auroraConnectionTracker,failover2,efm2',
      }),
    );
    await aws.connect();
    expect(await serverId(aws)).toBe(writerId(cluster()));
  });

  it('enableClusterAwareFailover: false disables failover: a killed connection gives the raw error (before: failover stayed on)', async () => {
    const killer = track(new PromiseConnection({ ...params(), plugins: [] }));
    await killer.connect();
    const kill = async (c: PromiseConnection): Promise<void> => {
      const [[{ id }]] = (await c.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      await killer.query(`KILL ${id}`);
    };
    // Control: with failover on, the killed connection fails over at its next call.
    const on = track(new PromiseConnection({ ...params() }));
    await on.connect();
    await kill(on);
    expect(await rejection(on.query('SELECT 1'))).toBeInstanceOf(FailoverSuccessError);

    const off = track(new PromiseConnection({ ...params(), enableClusterAwareFailover: false }));
    await off.connect();
    await kill(off);
    const raw = await rejection(off.query('SELECT 1'));
    expect(raw).not.toBeInstanceOf(FailoverSuccessError);
    expect(raw).toBeInstanceOf(Error);
  });

  // Last: it moves the writer.
  it('aws_failover_mysql_example: a writer failover gives FailoverSuccessError, the example re-runs and succeeds', async () => {
    const client = track(
      new PromiseConnection({
        // Configure connection parameters, failover plugin enabled by default.
        ...params(),
      }),
    );
    await client.connect();
    // The example's session setting; the emulator's MariaDB has no named time zones loaded.
    await client.query({ sql: "SET time_zone = '+00:00'" });
    await client.query({
      sql: 'CREATE TABLE IF NOT EXISTS bank_test (name varchar(40), account_balance int)',
    });
    await client.query({ sql: "INSERT INTO bank_test VALUES ('Jane Doe', 200), ('John Smith', 200)" });
    const { newWriter } = await cluster().failover();
    const query = "UPDATE bank_test SET account_balance=account_balance - 100 WHERE name='Jane Doe'";
    const err = await rejection(client.query({ sql: query }));
    expect(err).toBeInstanceOf(FailoverSuccessError);
    await client.query({ sql: "SET time_zone = '+00:00'" });
    const [result] = (await client.query({ sql: query })) as [{ affectedRows: number }, unknown];
    expect(result.affectedRows).toBe(1);
    expect(await serverId(client)).toBe(newWriter);
  });
});
