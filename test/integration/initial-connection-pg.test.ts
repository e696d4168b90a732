// initialConnection plugin and reader strategies on the PostgreSQL emulator (see the shared suite).
import { initialConnectionSuite } from '../support/initial-connection-suite.js';

initialConnectionSuite('postgres');
