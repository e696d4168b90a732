/**
 * Identity of the `readWriteSplitting` plugin (AWS's code; docs/read-scaling.md › setReadOnly):
 * weight 150, outside failover (200), so a pool's check-out switch back to the writer is
 * decided before failover's reader move, and inside initialConnection (100), which places the
 * first (writer) connection.
 */
import type { PluginFactory } from '../../connection/plugin.js';
import { ReadWriteSplittingPlugin } from './read-write-splitting-plugin.js';

export const readWriteSplittingPluginFactory: PluginFactory = {
  code: 'readWriteSplitting',
  aliases: ['read_write_splitting'],
  weight: 150,
  create: (service) => new ReadWriteSplittingPlugin(service),
};
