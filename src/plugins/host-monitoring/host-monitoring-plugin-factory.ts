/**
 * Factory of the host monitoring plugin (code `hostMonitoring`, AWS's `efm` / `efm2`), one
 * plugin per logical connection. Weight 300: inside failover (200), so its monitors watch the
 * user's calls and never failover's own reconnects and topology queries.
 */
import type { PluginFactory } from '../../connection/plugin.js';
import { HostMonitoringPlugin } from './host-monitoring-plugin.js';

export const HOST_MONITORING_WEIGHT = 300;

export const hostMonitoringPluginFactory: PluginFactory = {
  code: 'hostMonitoring',
  aliases: ['efm', 'efm2'],
  weight: HOST_MONITORING_WEIGHT,
  create: (service) => new HostMonitoringPlugin(service),
};
