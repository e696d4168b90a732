/**
 * Factory of the failover plugin (code `failover`, the default plugin), one plugin per
 * logical connection.
 */
import type { PluginFactory } from '../../connection/plugin.js';
import { FailoverPlugin } from './failover-plugin.js';

export const failoverPluginFactory: PluginFactory = {
  code: 'failover',
  aliases: [],
  weight: 200,
  create: (service) => new FailoverPlugin(service),
};
