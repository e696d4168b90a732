// Measured replica lag and maxReplicaLagMs on the PostgreSQL emulator (see the shared suite).
import { replicaLagSuite } from '../support/replica-lag-suite.js';

replicaLagSuite('postgres');
