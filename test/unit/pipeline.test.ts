// Pipeline composition and the plugin registry: order by weight, one composition per
// connection, no subscriber = no pipeline (the facade calls the driver directly).
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { composePipelines } from '../../src/connection/pipeline.js';
import type {
  ConnectNext,
  ExecuteNext,
  NetworkMethod,
  Plugin,
  PluginFactory,
} from '../../src/connection/plugin.js';
import { KNOWN_PLUGINS, resolvePluginFactories } from '../../src/plugins/registry.js';
import type { PhysicalConnection } from '../../src/drivers/driver.js';
import { makeHost } from '../../src/drivers/host-info.js';

function tracingPlugin(code: string, trace: string[], subscribes: Plugin['subscribes']): Plugin {
  return {
    code,
    subscribes,
    execute<T>(method: NetworkMethod, run: () => Promise<T>, next: ExecuteNext): Promise<T> {
      trace.push(`${code}>${method}`);
      return next(method, run).finally(() => trace.push(`${code}<${method}`));
    },
    connect(host, isInitial, next: ConnectNext): Promise<PhysicalConnection> {
      trace.push(`${code}:connect`);
      return next(host, isInitial);
    },
  };
}

function factory(code: string, weight: number, created: string[], trace: string[]): PluginFactory {
  return {
    code,
    aliases: [`${code}_alias`],
    weight,
    create: () => {
      created.push(code);
      return tracingPlugin(code, trace, ['connect', 'query', 'execute']);
    },
  };
}

describe('composePipelines', () => {
  it('calls plugins outer first and runs the driver call once at the bottom', async () => {
    const trace: string[] = [];
    const p = composePipelines(
      [tracingPlugin('a', trace, ['query']), tracingPlugin('b', trace, ['query', 'ping'])],
      () => Promise.reject(new Error('no connect in this test')),
    );
    let runs = 0;
    const result = await p.execute.query?.('query', () => {
      runs++;
      trace.push('run');
      return Promise.resolve(42);
    });
    expect(result).toBe(42);
    expect(runs).toBe(1);
    expect(trace).toEqual(['a>query', 'b>query', 'run', 'b<query', 'a<query']);
    trace.length = 0;
    await p.execute.ping?.('ping', () => Promise.resolve(undefined));
    expect(trace).toEqual(['b>ping', 'b<ping']);
  });

  it('has no pipeline for a method nobody subscribes to', () => {
    const p = composePipelines([tracingPlugin('a', [], ['query'])], () => Promise.reject(new Error('x')));
    expect(p.execute.commit).toBeUndefined();
    expect(p.execute.execute).toBeUndefined();
    const none = composePipelines([], () => Promise.reject(new Error('x')));
    expect(Object.keys(none.execute)).toEqual([]);
  });

  it('ends the connect pipeline in the driver connect', async () => {
    const trace: string[] = [];
    const bottomHosts: string[] = [];
    const fakeConn = { closed: false } as PhysicalConnection;
    const p = composePipelines([tracingPlugin('a', trace, ['connect'])], (host) => {
      bottomHosts.push(host.host);
      return Promise.resolve(fakeConn);
    });
    await expect(p.connect(makeHost('h1', 5432), true)).resolves.toBe(fakeConn);
    expect(trace).toEqual(['a:connect']);
    expect(bottomHosts).toEqual(['h1']);
  });
});

describe('resolvePluginFactories', () => {
  it('orders by weight whatever the configured order, accepts aliases and drops duplicates', () => {
    const created: string[] = [];
    const trace: string[] = [];
    const fs = [factory('outer', 10, created, trace), factory('inner', 20, created, trace)];
    const chosen = resolvePluginFactories(['inner', 'outer_alias', 'inner_alias'], fs);
    expect(chosen.map((f) => f.code)).toEqual(['outer', 'inner']);
  });

  it('an empty list is pass-through', () => {
    expect(resolvePluginFactories([])).toEqual([]);
  });

  it('names a known code that this version does not ship', () => {
    const err = (() => {
      try {
        resolvePluginFactories(['failover_v2'], []);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe('plugins');
    expect((err as Error).message).toContain('failover2');
    expect((err as Error).message).toContain('not available in this version');
  });

  it('rejects an unknown code and lists the known ones', () => {
    expect(() => resolvePluginFactories(['nope'])).toThrow(ConfigurationError);
    try {
      resolvePluginFactories(['nope']);
    } catch (e) {
      expect((e as ConfigurationError).accepted).toEqual(
        expect.arrayContaining(KNOWN_PLUGINS.map((k) => k.code)),
      );
    }
  });

  it('ships the failover plugin and resolves the default list', () => {
    expect(resolvePluginFactories(['failover']).map((f) => f.code)).toEqual(['failover']);
  });
});
