// Entry point `aurora-ha/pg`: a drop-in for the `pg` module (Client; Pool comes later).
export * from './facades/pg/index.js';
export { default } from './facades/pg/index.js';
