/**
 * Child of observe-logging.test.ts: run with NODE_DEBUG=aurora-ha (or not) and no logger
 * option; publishes one topology change and one connect, then exits.
 */
import { publishTopology, traceConnect } from '../../src/observe/channels.js';
import '../../src/observe/log-taps.js';

publishTopology(() => ({ event: 'writer-changed', clusterId: 'c1', before: 'a:1', after: 'b:1', at: 0 }));
await traceConnect('probe', { host: 'h', port: 5 }, undefined, async () => 1);
