/**
 * Factory of the failover v2 plugin (code `failover2`, alias `failover_v2`), one plugin per
 * logical connection; the topology monitor behind it is shared per cluster.
 */
import type { PluginFactory } from '../../connection/plugin.js';
import { Failover2Plugin } from './failover2-plugin.js';

export const failover2PluginFactory: PluginFactory = {
  code: 'failover2',
  aliases: ['failover_v2'],
  weight: 200,
  create: (service) => new Failover2Plugin(service),
};
