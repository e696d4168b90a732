// Measured replica lag and maxReplicaLagMs on the MariaDB emulator (see the shared suite).
import { replicaLagSuite } from '../support/replica-lag-suite.js';

replicaLagSuite('mysql');
