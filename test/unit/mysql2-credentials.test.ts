// After changeUser, connects use the new credentials: mysql2 lets a `uri` override the object's
// fields, so the uri is rewritten too (special characters encoded, host and the rest kept).
import { describe, expect, it } from 'vitest';
import { mysql2WithCredentials } from '../../src/drivers/mysql2/mysql2-adapter.js';

describe('mysql2WithCredentials', () => {
  it('sets the fields on a plain config', () => {
    expect(
      mysql2WithCredentials({ host: 'h', user: 'a', password: 'p' }, { user: 'b', password: 'q' }),
    ).toEqual({
      host: 'h',
      user: 'b',
      password: 'q',
    });
  });

  it('rewrites the uri userinfo and database, encoded, keeping host, port and query', () => {
    const out = mysql2WithCredentials(
      { uri: 'mysql://a:p@db.example:3307/app?ssl=true' },
      { user: 'b@x', password: 'q:/?#', database: 'other db' },
    );
    const url = new URL(out.uri!);
    expect(decodeURIComponent(url.username)).toBe('b@x');
    expect(decodeURIComponent(url.password)).toBe('q:/?#');
    expect(decodeURIComponent(url.pathname)).toBe('/other db');
    expect(url.host).toBe('db.example:3307');
    expect(url.search).toBe('?ssl=true');
  });
});
