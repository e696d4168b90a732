// Entry point `aurora-ha/mysql2/promise`: a drop-in for the promise API of `mysql2` (createConnection).
import mysql from 'mysql2';
import { PromiseConnection, createConnection } from './facades/mysql2/promise-connection.js';

export { PromiseConnection, createConnection };
export type { AuroraConnectionOptions } from './facades/mysql2/mysql2-native.js';
export const escape = mysql.escape;
export const escapeId = mysql.escapeId;
export const format = mysql.format;
export const raw = mysql.raw;
export const Types = mysql.Types;

const auroraMysqlPromise = { PromiseConnection, createConnection, escape, escapeId, format, raw, Types };
export default auroraMysqlPromise;
