/** Issue 24 part 1 on postgres: setReadOnly of readWriteSplitting (test/support/read-write-splitting-suite.ts). */
import { readWriteSplittingSuite } from '../support/read-write-splitting-suite.js';

readWriteSplittingSuite('postgres');
