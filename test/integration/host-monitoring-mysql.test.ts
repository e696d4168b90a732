/** Host monitoring on a real MariaDB cluster (the emulator); the suite is shared with PostgreSQL. */
import { hostMonitoringSuite } from '../support/host-monitoring-suite.js';

hostMonitoringSuite('mysql');
