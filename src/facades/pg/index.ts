/**
 * The `aurora-ha/pg` module: our Client plus pg's own module-level members (types,
 * DatabaseError, defaults, escaping, Query) so that ORMs taking a custom pg module work.
 */
import pg from 'pg';
import { Client } from './client.js';

export { Client };
export type { AuroraClientConfig } from './client.js';
export const types = pg.types;
export const DatabaseError = pg.DatabaseError;
export const defaults = pg.defaults;
export const escapeIdentifier = pg.escapeIdentifier;
export const escapeLiteral = pg.escapeLiteral;
export const Query = pg.Query;

const auroraPg = { Client, types, DatabaseError, defaults, escapeIdentifier, escapeLiteral, Query };
export default auroraPg;
