/** The emulator's failover faults (silent failover, ...) on postgres — see failover-faults.ts. */
import { failoverFaultTests } from './failover-faults.js';

failoverFaultTests('postgres');
