// Entry point `aurora-ha/pg`: a drop-in for the `pg` module (Client, Pool, every other member
// pg's own), and createDriver(options) for ORMs that filter the driver config.
import './otel/install.js';
export * from './facades/pg/index.js';
export { default } from './facades/pg/index.js';
