/**
 * RDS host-name classification and instance-host-pattern derivation (DESIGN §4):
 * `<name>.<prefix><clusterId>.<region>.rds.amazonaws.com` with prefix `cluster-`,
 * `cluster-ro-`, `cluster-custom-`, `proxy-` or none, plus China and GovCloud domains.
 *
 * (Types only for now; the implementation lands with the hosts work.)
 */

export type RdsUrlType =
  'writer-cluster' | 'reader-cluster' | 'custom-cluster' | 'proxy' | 'instance' | 'ip-address' | 'other';
