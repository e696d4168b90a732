/** Every ORM's own replica routing on aurora-ha through a reader crash and a writer failover, on mysql (test/support/orm-replicas-suite.ts). */
import { ormReplicasSuite } from '../support/orm-replicas-suite.js';

ormReplicasSuite('mysql');
