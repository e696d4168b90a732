/**
 * `maxReplicaLagMs` (src/selectors/replica-lag.ts, applied by ReaderSelection.eligible) over the
 * in-memory driver through the real plugins: new connections on the reader cluster endpoint
 * never land on a reader whose topology lag is over the limit, fall back to the writer when
 * every reader is; reader failover skips a lagging reader (reader-or-writer → the writer,
 * strict-reader → the lagging reader after all); and bad values are refused by name.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config/parse-config.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { makeHost } from '../../src/drivers/host-info.js';
import { failoverPluginFactory } from '../../src/plugins/failover/failover-plugin-factory.js';
import { initialConnectionPluginFactory } from '../../src/plugins/initial-connection/initial-connection-plugin-factory.js';
import { withinReplicaLag } from '../../src/selectors/replica-lag.js';
import { FailoverSuccessError } from '../../src/core/errors.js';
import {
  MemoryCluster,
  connectedClient,
  endAllClients,
  errorOf,
  outcome,
  type FailoverVersion,
} from '../support/memory-driver/index.js';

afterEach(endAllClients);
vi.setConfig({ testTimeout: 8_000 });

const PLUGINS = [initialConnectionPluginFactory, failoverPluginFactory];
/** roundRobin: without the filter, 6 opens visit both readers — no luck involved. */
const ROUND_ROBIN = { readerInitialConnectionHostSelectorStrategy: 'roundRobin' } as const;

async function readerOpens(
  cluster: MemoryCluster,
  n: number,
  options: Record<string, unknown>,
): Promise<string[]> {
  const landed: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await connectedClient(cluster, { host: cluster.readerEndpoint, plugins: PLUGINS, options });
    landed.push(c.instance());
    await c.end();
  }
  return landed;
}

describe('the filter', () => {
  const writer = makeHost('w', 1, { role: 'writer', instanceId: 'w', lagMs: 0 });
  const fresh = makeHost('r1', 1, { role: 'reader', instanceId: 'r1', lagMs: 1000 });
  const stale = makeHost('r2', 1, { role: 'reader', instanceId: 'r2', lagMs: 1001 });
  const unknown = makeHost('r3', 1, { role: 'reader', instanceId: 'r3' });

  it('drops only readers known to lag more than the limit (equal is within; unknown lag stays)', () => {
    expect(withinReplicaLag([writer, fresh, stale, unknown], 1000)).toEqual([writer, fresh, unknown]);
    expect(withinReplicaLag([writer, fresh, stale], undefined)).toEqual([writer, fresh, stale]);
  });

  it('every reader over: the writer alone, or all of them with keepWhenNoneLeft (also when the fresh ones are down)', () => {
    expect(withinReplicaLag([writer, stale], 1000)).toEqual([writer]);
    expect(withinReplicaLag([writer, stale], 1000, true)).toEqual([writer, stale]);
    const down = { ...fresh, availability: 'unavailable' as const };
    expect(withinReplicaLag([writer, down, stale], 1000, true)).toEqual([writer, down, stale]);
    expect(withinReplicaLag([writer, fresh, stale], 1000, true)).toEqual([writer, fresh]);
  });
});

describe('maxReplicaLagMs: new connections on the reader cluster endpoint', () => {
  it('without the option a lagging reader is picked in its turn', async () => {
    const cluster = new MemoryCluster();
    cluster.instance('instance-2').lagMs = 5_000;
    const landed = await readerOpens(cluster, 6, ROUND_ROBIN);
    expect(new Set(landed)).toEqual(new Set(['instance-2', 'instance-3']));
  });

  it('a reader lagging more than the limit is never picked', async () => {
    const cluster = new MemoryCluster();
    cluster.instance('instance-2').lagMs = 5_000;
    const landed = await readerOpens(cluster, 6, { ...ROUND_ROBIN, maxReplicaLagMs: 1_000 });
    expect(landed).toEqual(Array(6).fill('instance-3'));
  });

  it('every reader over the limit: the writer, as for a cluster without reader', async () => {
    const cluster = new MemoryCluster();
    cluster.instance('instance-2').lagMs = 5_000;
    cluster.instance('instance-3').lagMs = 1_001;
    const landed = await readerOpens(cluster, 3, { ...ROUND_ROBIN, maxReplicaLagMs: 1_000 });
    expect(landed).toEqual(Array(3).fill('instance-1'));
  });
});

describe.each<FailoverVersion>(['failover', 'failover2'])(
  'maxReplicaLagMs: reader failover (%s)',
  (version) => {
    /** On instance-2 through the reader endpoint (DNS), instance-3 lagging; instance-2 then goes silent and down. */
    async function failFromReader(options: Record<string, unknown>): Promise<string> {
      const cluster = new MemoryCluster();
      cluster.instance('instance-3').lagMs = 5_000;
      const client = await connectedClient(cluster, {
        host: cluster.readerEndpoint,
        plugins: [version],
        // Where the connection goes is the point here, so the read's failover outcome is kept.
        options: { maxReplicaLagMs: 1_000, retryReadsOnFailover: false, ...options },
      });
      expect(client.instance()).toBe('instance-2');
      cluster.instance('instance-2').queryMode = 'silent';
      const call = outcome(client.query('SELECT 1'));
      cluster.instance('instance-2').connectMode = 'refuse';
      cluster.reset('instance-2');
      expect(errorOf(await call)).toBeInstanceOf(FailoverSuccessError);
      return client.instance();
    }

    it('reader-or-writer: the lagging reader is skipped, the writer taken', async () => {
      expect(await failFromReader({})).toBe('instance-1');
    });

    it('strict-reader: the lagging reader after all (it never takes the writer of a cluster with readers)', async () => {
      expect(await failFromReader({ failoverMode: 'strict-reader' })).toBe('instance-3');
    });
  },
);

describe('maxReplicaLagMs: values', () => {
  const base = { host: 'db.cluster-ro-abc.us-east-1.rds.amazonaws.com', user: 'app', password: 'pw-123456' };
  const refused = (run: () => unknown): ConfigurationError => {
    try {
      run();
    } catch (err) {
      if (err instanceof ConfigurationError) return err;
      throw err;
    }
    throw new Error('no ConfigurationError thrown');
  };

  it('off by default; a positive integer is taken as is, from an object or a connection string', () => {
    expect(resolveConfig('postgres', base).options.maxReplicaLagMs).toBeUndefined();
    expect(resolveConfig('postgres', { ...base, maxReplicaLagMs: 1_000 }).options.maxReplicaLagMs).toBe(
      1_000,
    );
    expect(resolveConfig('mysql', 'mysql://u@h/db?maxReplicaLagMs=250').options.maxReplicaLagMs).toBe(250);
  });

  it.each<unknown>([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1000', true, null, {}])(
    'refuses %s, naming the option',
    (bad) => {
      const err = refused(() => resolveConfig('postgres', { ...base, maxReplicaLagMs: bad }));
      expect(err.option).toBe('maxReplicaLagMs');
      expect(err.message).toContain('`maxReplicaLagMs`');
      expect(err.message).not.toContain('pw-123456');
    },
  );

  it.each(['0', '-5', 'abc', '1.5'])('refuses maxReplicaLagMs=%s in a connection string', (bad) => {
    const err = refused(() => resolveConfig('mysql', `mysql://u:pw-secret@h/db?maxReplicaLagMs=${bad}`));
    expect(err.option).toBe('maxReplicaLagMs');
    expect(err.message).not.toContain('pw-secret');
  });
});
