/**
 * Factory of the initial connection strategy plugin (code `initialConnection`, alias
 * `initial_connection`), one plugin per logical connection; weight 100, outside failover.
 * AWS's `staleDns` code loads it too: refusing a writer cluster endpoint that DNS still points
 * at the old writer (verify the role, follow the topology) is what AWS's stale DNS plugin does.
 */
import type { PluginFactory } from '../../connection/plugin.js';
import { InitialConnectionPlugin } from './initial-connection-plugin.js';

export const initialConnectionPluginFactory: PluginFactory = {
  code: 'initialConnection',
  aliases: ['initial_connection', 'staleDns'],
  weight: 100,
  create: (service) => new InitialConnectionPlugin(service),
};
