// Entry point `aurora-ha/mysql2`: a drop-in for the callback API of `mysql2` (createConnection).
import mysql from 'mysql2';
import { Connection, createConnection } from './facades/mysql2/connection.js';

export { Connection, createConnection };
export type { AuroraConnectionOptions } from './facades/mysql2/mysql2-native.js';
export const escape = mysql.escape;
export const escapeId = mysql.escapeId;
export const format = mysql.format;
export const raw = mysql.raw;
export const Types = mysql.Types;

const auroraMysql = { Connection, createConnection, escape, escapeId, format, raw, Types };
export default auroraMysql;
