// initialConnection plugin and reader strategies on the MariaDB emulator, through mysql2/promise (see the shared suite).
import { initialConnectionSuite } from '../support/initial-connection-suite.js';

initialConnectionSuite('mysql');
