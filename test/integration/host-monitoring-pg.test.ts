/** Host monitoring on a real PostgreSQL cluster (the emulator); the suite is shared with MySQL. */
import { hostMonitoringSuite } from '../support/host-monitoring-suite.js';

hostMonitoringSuite('postgres');
