/**
 * Classification tables of both adapters (pure functions of error codes). The same rules are
 * exercised against real servers in test/integration/drivers-*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { classifyPgError } from '../../src/drivers/pg/pg-errors.js';
import { classifyMysql2Error } from '../../src/drivers/mysql2/mysql2-errors.js';
import { markConnectionLost } from '../../src/drivers/connection-lost.js';
import type { PhysicalConnection } from '../../src/drivers/driver.js';

const withCode = (code: string): Error => Object.assign(new Error('x'), { code });
const mysqlError = (errno: number, code = 'ER_X', fatal = false): Error =>
  Object.assign(new Error('x'), { errno, code, fatal });
const closedConn = { closed: true } as PhysicalConnection;
const openConn = { closed: false } as PhysicalConnection;

describe('pg error classification', () => {
  it.each([
    ['08006', 'network'],
    ['08001', 'network'],
    ['57P01', 'network'],
    ['57P02', 'network'],
    ['57P03', 'network'],
    // Capacity (53*) and internal errors (XX*) say nothing about a dead host
    // (ARCHITECTURE.md › Failover triggers).
    ['53300', 'other'],
    ['53200', 'other'],
    ['58030', 'network'],
    ['XX000', 'other'],
    ['XX001', 'other'],
    ['28000', 'login'],
    ['28P01', 'login'],
    ['25006', 'read-only'],
    ['42P01', 'other'],
    ['57014', 'other'],
    ['23505', 'other'],
    ['ECONNRESET', 'network'],
    ['ECONNREFUSED', 'network'],
    ['ETIMEDOUT', 'network'],
    ['EPIPE', 'network'],
    ['EHOSTUNREACH', 'network'],
    ['ENETUNREACH', 'network'],
  ])('%s → %s', (code, kind) => {
    expect(classifyPgError(withCode(code))).toBe(kind);
  });

  it('recognises an AggregateError of socket errors (Node happy eyeballs)', () => {
    const agg = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect');
    expect(classifyPgError(agg)).toBe('network');
  });

  it('treats code-less errors as network only when marked or when their connection is closed', () => {
    expect(classifyPgError(new Error('Connection terminated unexpectedly'))).toBe('other');
    expect(classifyPgError(new Error('anything'), openConn)).toBe('other');
    expect(classifyPgError(new Error('anything'), closedConn)).toBe('network');
    const marked = new Error('Connection terminated');
    markConnectionLost(marked);
    expect(classifyPgError(marked)).toBe('network');
    // An SQL error on a closed connection keeps its SQLSTATE meaning.
    expect(classifyPgError(withCode('42P01'), closedConn)).toBe('other');
  });

  it('classifies non-errors as other', () => {
    expect(classifyPgError(undefined)).toBe('other');
    expect(classifyPgError('ECONNRESET')).toBe('other');
  });
});

describe('mysql2 error classification', () => {
  it.each([
    [2002, 'network'],
    [2003, 'network'],
    [2006, 'network'],
    [2013, 'network'],
    [2055, 'network'],
    [1927, 'network'],
    [1040, 'other'],
    [1053, 'network'],
    [1045, 'login'],
    [1290, 'read-only'],
    [1836, 'read-only'],
    [1064, 'other'],
    [1146, 'other'],
  ])('errno %d → %s', (errno, kind) => {
    expect(classifyMysql2Error(mysqlError(errno))).toBe(kind);
  });

  it.each(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'])(
    '%s → network',
    (code) => {
      expect(classifyMysql2Error(withCode(code))).toBe('network');
    },
  );

  it('treats fatal errors as network, but a fatal access denied stays a login error', () => {
    expect(classifyMysql2Error(Object.assign(new Error("Can't add new command"), { fatal: true }))).toBe(
      'network',
    );
    expect(classifyMysql2Error(mysqlError(1045, 'ER_ACCESS_DENIED_ERROR', true))).toBe('login');
  });

  it("mysql2's per-query timeout (PROTOCOL_SEQUENCE_TIMEOUT) is a slow query, not a lost connection", () => {
    // Shaped exactly as mysql2's Query._handleTimeoutError builds it.
    const err = Object.assign(new Error('Query inactivity timeout'), {
      errorno: 'PROTOCOL_SEQUENCE_TIMEOUT',
      code: 'PROTOCOL_SEQUENCE_TIMEOUT',
      syscall: 'query',
    });
    expect(classifyMysql2Error(err)).toBe('other');
    expect(classifyMysql2Error(Object.assign(err, { fatal: true }))).toBe('other');
  });

  it('uses the closed state only for uncoded errors', () => {
    expect(classifyMysql2Error(new Error('x'), closedConn)).toBe('network');
    expect(classifyMysql2Error(mysqlError(1146), closedConn)).toBe('other');
  });
});
