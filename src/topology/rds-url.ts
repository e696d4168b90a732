/**
 * RDS host-name classification and instance-host-pattern derivation (ARCHITECTURE.md › RDS host names and instance host patterns):
 * `<name>.<prefix><dnsId>.<region>.rds.amazonaws.com` with prefix `cluster-`, `cluster-ro-`,
 * `cluster-custom-`, `proxy-` or none (instance), plus the China forms (`.rds.amazonaws.com.cn`,
 * `.rds.<region>.amazonaws.com.cn`) and GovCloud (`.rds.us-gov-<x>.amazonaws.com`).
 * Matching is case-insensitive; derived names keep the caller's spelling.
 */

import { isIP } from 'node:net';

export type RdsUrlType =
  'writer-cluster' | 'reader-cluster' | 'custom-cluster' | 'proxy' | 'instance' | 'ip-address' | 'other';

/** The parts of an RDS host name. */
export interface RdsHostParts {
  type: Exclude<RdsUrlType, 'ip-address' | 'other'>;
  /** First label: the DB cluster id (cluster endpoints), custom endpoint, proxy or instance name. */
  name: string;
  /** `cluster-`, `cluster-ro-`, `cluster-custom-`, `proxy-` or `` (instance). */
  prefix: string;
  /** The account/region DNS id after the prefix (`abc123` in `cluster-abc123`). */
  dnsId: string;
  region: string;
  /** Everything after `<prefix><dnsId>.`, e.g. `us-east-1.rds.amazonaws.com`. */
  domain: string;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';
const PREFIX = '(?:cluster-ro-|cluster-custom-|cluster-|proxy-)?';
// <name>.<prefix><dnsId>.<region>.rds.amazonaws.com[.cn]
const REGION_FIRST = new RegExp(
  `^(${LABEL})\\.(${PREFIX})(${LABEL})\\.((${REGION})\\.rds\\.amazonaws\\.com(?:\\.cn)?)\\.?$`,
  'i',
);
// <name>.<prefix><dnsId>.rds.<region>.amazonaws.com[.cn] (China, GovCloud)
const RDS_FIRST = new RegExp(
  `^(${LABEL})\\.(${PREFIX})(${LABEL})\\.(rds\\.(${REGION})\\.amazonaws\\.com(\\.cn)?)\\.?$`,
  'i',
);

const TYPE_OF_PREFIX: Record<string, RdsHostParts['type']> = {
  'cluster-': 'writer-cluster',
  'cluster-ro-': 'reader-cluster',
  'cluster-custom-': 'custom-cluster',
  'proxy-': 'proxy',
  '': 'instance',
};

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The parts of an RDS host name, or undefined for anything else (IP address, custom domain). */
export function parseRdsHost(host: string): RdsHostParts | undefined {
  let m = REGION_FIRST.exec(host);
  let region: string | undefined;
  if (m) region = m[5];
  else {
    m = RDS_FIRST.exec(host);
    if (!m) return undefined;
    region = m[5];
    // `.rds.<region>.amazonaws.com` without `.cn` is the GovCloud form only.
    if (m[6] === undefined && !/^us-gov-/i.test(region ?? '')) return undefined;
  }
  const [, name, prefix, dnsId, domain] = m;
  if (name === undefined || prefix === undefined || dnsId === undefined || domain === undefined)
    return undefined;
  if (region === undefined) return undefined;
  const type = TYPE_OF_PREFIX[prefix.toLowerCase()];
  if (type === undefined) return undefined;
  return { type, name, prefix, dnsId, region, domain: domain.replace(/\.$/, '') };
}

export function classifyHost(host: string): RdsUrlType {
  if (isIP(stripBrackets(host)) !== 0) return 'ip-address';
  return parseRdsHost(host)?.type ?? 'other';
}

/** The DB cluster identifier of a writer or reader cluster endpoint (`mydb`), else undefined. */
export function rdsClusterId(host: string): string | undefined {
  const p = parseRdsHost(host);
  return p && (p.type === 'writer-cluster' || p.type === 'reader-cluster') ? p.name : undefined;
}

/** The region of any RDS host name (`us-east-1`), else undefined. */
export function rdsRegion(host: string): string | undefined {
  return parseRdsHost(host)?.region;
}

/**
 * The instance host pattern of the cluster an RDS name belongs to:
 * `mydb.cluster-abc123.us-east-1.rds.amazonaws.com` → `?.abc123.us-east-1.rds.amazonaws.com`.
 * Undefined for IP addresses and custom domains (they need `clusterInstanceHostPattern`).
 */
export function instanceHostPatternOf(host: string): string | undefined {
  const p = parseRdsHost(host);
  return p ? `?.${p.dnsId}.${p.domain}` : undefined;
}

/**
 * Writer and reader cluster endpoint names, from a writer or reader cluster endpoint
 * (the only names that carry the cluster identifier). Undefined for other names.
 */
export function clusterEndpointsOf(host: string): { writer: string; reader: string } | undefined {
  const p = parseRdsHost(host);
  if (!p || (p.type !== 'writer-cluster' && p.type !== 'reader-cluster')) return undefined;
  return {
    writer: `${p.name}.cluster-${p.dnsId}.${p.domain}`,
    reader: `${p.name}.cluster-ro-${p.dnsId}.${p.domain}`,
  };
}
