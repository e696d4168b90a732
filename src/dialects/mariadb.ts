/**
 * Plain MariaDB: like plain MySQL, recognised by `MariaDB` in `VERSION()` or
 * `@@version_comment`.
 */
import type { Dialect } from './dialect.js';
import { PLAIN_MYSQL } from './sql.js';
import { rowsOrUndefined } from './dialect-queries.js';
import { toText } from './topology-rows.js';
import { mysqlDialect } from './mysql.js';

export const mariadbDialect: Dialect = {
  ...mysqlDialect,
  name: 'mariadb',
  refinements: [],
  async matches(conn) {
    const row = (await rowsOrUndefined(conn, PLAIN_MYSQL.detect))?.[0] ?? [];
    return row.some((v) => /mariadb/i.test(toText(v) ?? ''));
  },
};
