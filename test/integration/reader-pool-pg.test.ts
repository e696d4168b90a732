/** Issue 23 on postgres: reads through a reader pool survive a reader's crash or silence (test/support/reader-pool-suite.ts). */
import { readerPoolSuite } from '../support/reader-pool-suite.js';

readerPoolSuite('postgres');
