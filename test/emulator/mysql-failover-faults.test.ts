/** The emulator's failover faults (silent failover, ...) on mysql — see failover-faults.ts. */
import { failoverFaultTests } from './failover-faults.js';

failoverFaultTests('mysql');
