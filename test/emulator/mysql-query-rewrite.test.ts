/**
 * The Aurora MySQL metadata rewriting and the client packet framing of the metadata proxy,
 * tested on their own (no server needed): exact texts, column names kept, packets re-framed,
 * any chunking of the byte stream handled, everything else passed byte-for-byte.
 */
import { describe, expect, it } from 'vitest';
import { AURORA_MYSQL } from '../../src/dialects/sql.js';
import { rewriteAuroraQuery } from '../../src/emulator/mysql/aurora-query-rewrite.js';
import { ClientPacketRewriter, stripGreetingCapabilities } from '../../src/emulator/mysql/metadata-proxy.js';

const ctx = { instanceId: 'instance-2', auroraVersion: '3.05.2' };

function packet(seq: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = seq;
  return Buffer.concat([header, payload]);
}

const query = (sql: string, cmd = 0x03): Buffer =>
  packet(0, Buffer.concat([Buffer.from([cmd]), Buffer.from(sql, 'latin1')]));

describe('rewriteAuroraQuery', () => {
  it('answers SHOW VARIABLES LIKE aurora_version with one row', () => {
    expect(rewriteAuroraQuery(AURORA_MYSQL.detect, ctx)).toBe(
      "SELECT 'aurora_version' AS Variable_name, '3.05.2' AS Value",
    );
    expect(rewriteAuroraQuery("show global variables like 'aurora_version';", ctx)).toContain(
      "'3.05.2' AS Value",
    );
  });

  it('keeps the column name of a variable that is a whole select item', () => {
    expect(rewriteAuroraQuery(AURORA_MYSQL.instanceId, ctx)).toBe(
      "SELECT 'instance-2' AS `@@aurora_server_id`",
    );
    expect(rewriteAuroraQuery(AURORA_MYSQL.isReader, ctx)).toBe(
      'SELECT (@@read_only + 0) AS `@@innodb_read_only`',
    );
    expect(rewriteAuroraQuery('select @@INNODB_READ_ONLY, 1', ctx)).toBe(
      'select (@@read_only + 0) AS `@@INNODB_READ_ONLY`, 1',
    );
  });

  it('rewrites the table and a variable inside a condition', () => {
    expect(rewriteAuroraQuery(AURORA_MYSQL.writerCheck, ctx)).toBe(
      "SELECT SERVER_ID FROM mysql.aurora_replica_host_status WHERE SESSION_ID = 'MASTER_SESSION_ID' AND SERVER_ID = 'instance-2'",
    );
    expect(rewriteAuroraQuery('SELECT * FROM `INFORMATION_SCHEMA`.`REPLICA_HOST_STATUS`', ctx)).toBe(
      'SELECT * FROM mysql.aurora_replica_host_status',
    );
  });

  it('never rewrites inside string literals or comments', () => {
    expect(
      rewriteAuroraQuery('INSERT INTO notes VALUES (\'@@aurora_server_id\', "replica_host_status")', ctx),
    ).toBeUndefined();
    expect(
      rewriteAuroraQuery("SELECT @@aurora_server_id, 'it''s @@innodb_read_only' /* @@aurora_version */", ctx),
    ).toBe("SELECT 'instance-2' AS `@@aurora_server_id`, 'it''s @@innodb_read_only' /* @@aurora_version */");
  });

  it('leaves other SQL alone (undefined = forward the original bytes)', () => {
    expect(rewriteAuroraQuery('SELECT 1', ctx)).toBeUndefined();
    expect(rewriteAuroraQuery('SELECT @@read_only', ctx)).toBeUndefined();
    expect(rewriteAuroraQuery("SHOW VARIABLES LIKE 'version_comment'", ctx)).toBeUndefined();
  });
});

describe('ClientPacketRewriter', () => {
  const rewrite = (sql: string): string | undefined => rewriteAuroraQuery(sql, ctx);

  it('re-frames rewritten commands and passes every other packet byte-for-byte, however the stream is chunked', () => {
    const auth = packet(1, Buffer.from('handshake-response: SELECT @@aurora_server_id', 'latin1'));
    const plain = query("SELECT 'é\u00ff' AS x");
    const rewritten = query(AURORA_MYSQL.instanceId);
    const prepared = query(AURORA_MYSQL.isReader, 0x16);
    const ping = packet(0, Buffer.from([0x0e]));
    const stream = Buffer.concat([auth, plain, rewritten, ping, prepared]);
    const expected = Buffer.concat([
      auth,
      plain,
      query("SELECT 'instance-2' AS `@@aurora_server_id`"),
      ping,
      query('SELECT (@@read_only + 0) AS `@@innodb_read_only`', 0x16),
    ]);
    for (let cut = 1; cut < stream.length; cut += 3) {
      const framer = new ClientPacketRewriter(rewrite);
      const out = Buffer.concat([
        ...framer.push(stream.subarray(0, cut)),
        ...framer.push(stream.subarray(cut)),
      ]);
      expect(out.equals(expected)).toBe(true);
    }
    const oneByOne = new ClientPacketRewriter(rewrite);
    const pieces: Buffer[] = [];
    for (let k = 0; k < stream.length; k++) pieces.push(...oneByOne.push(stream.subarray(k, k + 1)));
    expect(Buffer.concat(pieces).equals(expected)).toBe(true);
  });

  it('clears SSL and compression in the server greeting, nothing else', () => {
    const payload = Buffer.concat([
      Buffer.from([10]),
      Buffer.from('10.11.19-MariaDB\0', 'latin1'),
      Buffer.alloc(4, 7), // connection id
      Buffer.alloc(8, 1), // auth data part 1
      Buffer.from([0]),
      Buffer.from([0xff, 0xff]), // capabilities (low)
      Buffer.from([0x2d, 0x02, 0x00]),
    ]);
    const greeting = packet(0, payload);
    const before = Buffer.from(greeting);
    stripGreetingCapabilities(greeting);
    const capsAt = 4 + 1 + '10.11.19-MariaDB\0'.length + 4 + 8 + 1;
    expect(greeting.readUInt16LE(capsAt)).toBe(0xffff & ~0x0800 & ~0x0020);
    greeting.writeUInt16LE(0xffff, capsAt);
    expect(greeting.equals(before)).toBe(true);
  });
});
