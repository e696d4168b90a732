/**
 * Factory of the initial connection strategy plugin (code `initialConnection`, alias
 * `initial_connection`), one plugin per logical connection; weight 100, outside failover.
 */
import type { PluginFactory } from '../../connection/plugin.js';
import { InitialConnectionPlugin } from './initial-connection-plugin.js';

export const initialConnectionPluginFactory: PluginFactory = {
  code: 'initialConnection',
  aliases: ['initial_connection'],
  weight: 100,
  create: (service) => new InitialConnectionPlugin(service),
};
