/** Issue 24 part 1 on mysql: setReadOnly of readWriteSplitting (test/support/read-write-splitting-suite.ts). */
import { readWriteSplittingSuite } from '../support/read-write-splitting-suite.js';

readWriteSplittingSuite('mysql');
