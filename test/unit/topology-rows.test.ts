import { describe, expect, it } from 'vitest';
import {
  acceptTopology,
  parseAuroraRow,
  parseMultiAzRow,
  toBoolean,
  toEpochMs,
  toNumber,
  topologyWeight,
} from '../../src/dialects/topology-rows.js';
import type { TopologyRow } from '../../src/dialects/dialect.js';

const row = (instanceId: string, isWriter: boolean, lastUpdate?: number): TopologyRow => ({
  instanceId,
  isWriter,
  cpu: 0,
  lagMs: 0,
  ...(lastUpdate !== undefined ? { lastUpdate } : {}),
});

describe('topology rules', () => {
  it('rejects a topology without a writer row', () => {
    expect(acceptTopology([row('a', false), row('b', false)])).toBeUndefined();
    expect(acceptTopology([])).toBeUndefined();
  });

  it('keeps the newest writer when several rows claim the role and drops the others', () => {
    const rows = [row('old', true, 1_000), row('r1', false, 5_000), row('new', true, 2_000)];
    const accepted = acceptTopology(rows)!;
    expect(accepted.map((r) => [r.instanceId, r.isWriter])).toEqual([
      ['new', true],
      ['r1', false],
    ]);
  });

  it('prefers a writer with a timestamp over one reporting NULL', () => {
    const accepted = acceptTopology([row('nulltime', true), row('timed', true, 10)])!;
    expect(accepted[0]!.instanceId).toBe('timed');
  });

  it('puts the writer first and keeps the first row of a duplicated id', () => {
    const accepted = acceptTopology([
      row('r1', false, 1),
      row('w', true, 2),
      { ...row('r1', false, 3), cpu: 9 },
    ])!;
    expect(accepted.map((r) => r.instanceId)).toEqual(['w', 'r1']);
    expect(accepted[1]!.lastUpdate).toBe(1);
  });

  it('weights hosts by round(lag) * 100 + round(cpu)', () => {
    expect(topologyWeight({ lagMs: 0, cpu: 0 })).toBe(0);
    expect(topologyWeight({ lagMs: 2.4, cpu: 7.6 })).toBe(208);
    expect(topologyWeight({ lagMs: 10.5, cpu: 0.4 })).toBe(1100);
  });
});

describe('row parsing', () => {
  it('parses a PostgreSQL-shaped Aurora row (boolean, floats, Date)', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(parseAuroraRow(['instance-1', true, 12.5, 0, at])).toEqual({
      instanceId: 'instance-1',
      isWriter: true,
      cpu: 12.5,
      lagMs: 0,
      lastUpdate: at.getTime(),
    });
  });

  it('parses a MySQL-shaped Aurora row (1/0 flags, numeric strings, NULL timestamp)', () => {
    expect(parseAuroraRow(['instance-2', 0, '3.25', '17', null])).toEqual({
      instanceId: 'instance-2',
      isWriter: false,
      cpu: 3.25,
      lagMs: 17,
    });
    expect(parseAuroraRow(['instance-3', 1n, null, null, undefined])).toMatchObject({
      isWriter: true,
      cpu: 0,
      lagMs: 0,
    });
  });

  it('skips rows without an id', () => {
    expect(parseAuroraRow([null, true, 0, 0, null])).toBeUndefined();
    expect(parseAuroraRow(['', true, 0, 0, null])).toBeUndefined();
    expect(parseMultiAzRow([null, 'h', 5432], 'x')).toBeUndefined();
  });

  it('marks the Multi-AZ writer by id and keeps endpoint and port', () => {
    expect(parseMultiAzRow(['db-abc', 'i1.example.com', 5432], 'db-abc')).toEqual({
      instanceId: 'db-abc',
      isWriter: true,
      cpu: 0,
      lagMs: 0,
      endpoint: 'i1.example.com',
      port: 5432,
    });
    expect(parseMultiAzRow([42, 'i2.example.com', '3306'], '41')).toMatchObject({
      instanceId: '42',
      isWriter: false,
      port: 3306,
    });
  });

  it('converts driver values', () => {
    expect(toNumber('x', 7)).toBe(7);
    expect(toNumber(Number.NaN)).toBe(0);
    expect(toBoolean('t')).toBe(true);
    expect(toBoolean('f')).toBe(false);
    expect(toEpochMs('2026-01-02 03:04:05Z')).toBe(Date.parse('2026-01-02T03:04:05Z'));
    expect(toEpochMs('not a date')).toBeUndefined();
    expect(toEpochMs(null)).toBeUndefined();
  });
});
