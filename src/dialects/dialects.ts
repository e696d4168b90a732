/**
 * All dialects by name, and the plain dialect each engine's detection starts from.
 */
import type { Engine } from '../drivers/driver.js';
import type { Dialect, DialectName } from './dialect.js';
import { auroraMysqlDialect } from './aurora-mysql.js';
import { auroraPostgresDialect } from './aurora-postgres.js';
import { mariadbDialect } from './mariadb.js';
import { multiAzMysqlDialect } from './multi-az-mysql.js';
import { multiAzPostgresDialect } from './multi-az-postgres.js';
import { mysqlDialect } from './mysql.js';
import { postgresReplicaClusterDialect } from './postgres-replica-cluster.js';
import { postgresDialect } from './postgres.js';

const BY_NAME: Readonly<Record<DialectName, Dialect>> = {
  'aurora-postgres': auroraPostgresDialect,
  'aurora-mysql': auroraMysqlDialect,
  'multi-az-postgres': multiAzPostgresDialect,
  'multi-az-mysql': multiAzMysqlDialect,
  postgres: postgresDialect,
  mysql: mysqlDialect,
  mariadb: mariadbDialect,
  'postgres-replica-cluster': postgresReplicaClusterDialect,
};

export function dialectByName(name: DialectName): Dialect {
  return BY_NAME[name];
}

export function plainDialect(engine: Engine): Dialect {
  return engine === 'postgres' ? postgresDialect : mysqlDialect;
}
