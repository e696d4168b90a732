/**
 * The SQL the adapters send to restore session state and to connect to one instance
 * (quoting, validation, host rewriting). Round trips against real servers are in
 * test/integration/drivers-*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { restoreSessionSql, parseSessionRow as parsePgRow } from '../../src/drivers/pg/pg-session.js';
import {
  quoteIdentifier,
  restoreSessionStatements,
  txVariableNames,
  parseSessionRow as parseMysqlRow,
} from '../../src/drivers/mysql2/mysql2-session.js';
import { replaceConnectionStringHost, pgConfigForHost } from '../../src/drivers/pg/pg-config.js';
import { mysql2ConfigForHost } from '../../src/drivers/mysql2/mysql2-adapter.js';
import { makeHost } from '../../src/drivers/host-info.js';
import { ConfigurationError } from '../../src/core/errors.js';

describe('pg session SQL', () => {
  it('quotes the schema and validates the isolation level', () => {
    expect(restoreSessionSql({ schema: 'we"ird sch ema' })).toBe('SET search_path TO "we""ird sch ema"');
    expect(restoreSessionSql({ isolationLevel: 'REPEATABLE-READ', readOnly: true })).toBe(
      'SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY',
    );
    expect(() => restoreSessionSql({ isolationLevel: 'snapshot; DROP TABLE x' })).toThrow(ConfigurationError);
    expect(restoreSessionSql({ autocommit: false })).toBe('');
  });

  it('restores a whole search_path as a literal', () => {
    expect(restoreSessionSql({ schema: 'x', searchPath: `"it's", public` })).toBe(
      `SELECT pg_catalog.set_config('search_path', '"it''s", public', false)`,
    );
  });

  it('parses the session row', () => {
    expect(parsePgRow(['on', 'serializable', 's', '"s"'])).toEqual({
      readOnly: true,
      isolationLevel: 'serializable',
      schema: 's',
      searchPath: '"s"',
    });
  });
});

describe('mysql session SQL', () => {
  it('picks variable names by server', () => {
    expect(txVariableNames('10.11.6-MariaDB-0+deb12u1').isolation).toBe('tx_isolation');
    expect(txVariableNames('8.0.36').isolation).toBe('transaction_isolation');
    expect(txVariableNames('5.7.19-log').readOnly).toBe('tx_read_only');
  });

  it('quotes identifiers with backticks and builds one SET', () => {
    expect(quoteIdentifier('we`ird')).toBe('`we``ird`');
    const names = txVariableNames('8.0.36');
    expect(
      restoreSessionStatements(
        { autocommit: false, readOnly: true, isolationLevel: 'read committed', schema: 'a`b' },
        names,
      ),
    ).toEqual([
      "SET @@session.autocommit = 0, @@session.transaction_read_only = 1, @@session.transaction_isolation = 'READ-COMMITTED'",
      'USE `a``b`',
    ]);
    expect(() => restoreSessionStatements({ isolationLevel: "x'; DROP" }, names)).toThrow(ConfigurationError);
  });

  it('parses the session row', () => {
    expect(parseMysqlRow([1, 0, 'REPEATABLE-READ', null])).toEqual({
      autocommit: true,
      readOnly: false,
      isolationLevel: 'repeatable read',
    });
  });
});

describe('per-instance driver config', () => {
  const host = makeHost('10.1.2.3', 6543);

  it('rewrites the host list of a connection string and drops host/port parameters', () => {
    expect(
      replaceConnectionStringHost(
        'postgres://u:p%40ss@h1:5432,h2:5433/db?host=/tmp&sslmode=require&port=1',
        '10.1.2.3',
        6543,
      ),
    ).toBe('postgres://u:p%40ss@10.1.2.3:6543/db?sslmode=require');
    expect(replaceConnectionStringHost('postgresql://cluster.example.com/db', '::1', 5432)).toBe(
      'postgresql://[::1]:5432/db',
    );
    expect(replaceConnectionStringHost('postgres://h', 'x', 1)).toBe('postgres://x:1');
  });

  it('keeps the other pg options and overrides host/port', () => {
    const config = pgConfigForHost({ user: 'u', host: 'old', port: 1, application_name: 'app' }, host);
    expect(config).toMatchObject({ user: 'u', host: '10.1.2.3', port: 6543, application_name: 'app' });
  });

  it('rewrites the host inside a mysql2 uri (it overrides fields) and sets connectTimeout', () => {
    const config = mysql2ConfigForHost(
      { uri: 'mysql://us%40r:pw@old:3306/db?charset=utf8mb4', user: 'x' },
      host,
      250,
    );
    expect(config).toMatchObject({ host: '10.1.2.3', port: 6543, connectTimeout: 250 });
    expect(config.uri).toBe('mysql://us%40r:pw@10.1.2.3:6543/db?charset=utf8mb4');
    expect(mysql2ConfigForHost({ uri: 'mysql://h/db' }, makeHost('::1', 3306)).uri).toBe(
      'mysql://[::1]:3306/db',
    );
  });
});
