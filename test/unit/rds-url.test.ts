// Property tests of RDS host-name classification and instance-pattern derivation over generated
// cluster / instance / region names in every domain form (commercial, China, GovCloud).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyHost,
  clusterEndpointsOf,
  instanceHostPatternOf,
  rdsClusterId,
  rdsRegion,
  type RdsUrlType,
} from '../../src/topology/rds-url.js';
import { instanceHostFromPattern } from '../../src/topology/host-pattern.js';

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/).filter((s) => !s.includes('--'));
const dnsId = fc.stringMatching(/^[a-z0-9]{12}$/);
const commercialRegion = fc.constantFrom(
  'us-east-1',
  'eu-west-3',
  'ap-southeast-2',
  'ca-central-1',
  'me-south-1',
);
const govRegion = fc.constantFrom('us-gov-west-1', 'us-gov-east-1');
const chinaRegion = fc.constantFrom('cn-north-1', 'cn-northwest-1');

/** A domain form and the region it carries. */
const domain = fc.oneof(
  fc
    .tuple(fc.oneof(commercialRegion, govRegion))
    .map(([r]) => ({ domain: `${r}.rds.amazonaws.com`, region: r })),
  chinaRegion.map((r) => ({ domain: `${r}.rds.amazonaws.com.cn`, region: r })),
  chinaRegion.map((r) => ({ domain: `rds.${r}.amazonaws.com.cn`, region: r })),
  govRegion.map((r) => ({ domain: `rds.${r}.amazonaws.com`, region: r })),
);

const prefixes: [string, RdsUrlType][] = [
  ['cluster-', 'writer-cluster'],
  ['cluster-ro-', 'reader-cluster'],
  ['cluster-custom-', 'custom-cluster'],
  ['proxy-', 'proxy'],
  ['', 'instance'],
];

/** Random upper-casing: DNS names are case-insensitive. */
function recase(s: string, mask: number): string {
  return [...s].map((c, i) => ((mask >> (i % 31)) & 1 ? c.toUpperCase() : c)).join('');
}

describe('classifyHost', () => {
  it('classifies every generated RDS name by its prefix, in every domain form and casing', () => {
    fc.assert(
      fc.property(
        label,
        fc.constantFrom(...prefixes),
        dnsId,
        domain,
        fc.integer(),
        (name, [prefix, type], id, d, mask) => {
          const host = recase(`${name}.${prefix}${id}.${d.domain}`, mask);
          expect(classifyHost(host)).toBe(type);
          expect(rdsRegion(host)?.toLowerCase()).toBe(d.region);
          expect(instanceHostPatternOf(host)?.toLowerCase()).toBe(`?.${id}.${d.domain}`);
        },
      ),
    );
  });

  it('cluster endpoints name their cluster and give both endpoints back, whichever one was given', () => {
    fc.assert(
      fc.property(label, fc.constantFrom('cluster-', 'cluster-ro-'), dnsId, domain, (name, prefix, id, d) => {
        const host = `${name}.${prefix}${id}.${d.domain}`;
        expect(rdsClusterId(host)).toBe(name);
        const ends = clusterEndpointsOf(host)!;
        expect(ends.writer).toBe(`${name}.cluster-${id}.${d.domain}`);
        expect(ends.reader).toBe(`${name}.cluster-ro-${id}.${d.domain}`);
        expect(classifyHost(ends.writer)).toBe('writer-cluster');
        expect(classifyHost(ends.reader)).toBe('reader-cluster');
        expect(clusterEndpointsOf(ends.reader)).toEqual(ends);
      }),
    );
  });

  it('the derived pattern builds instance names of the same cluster domain', () => {
    fc.assert(
      fc.property(
        label,
        fc.constantFrom(...prefixes),
        dnsId,
        domain,
        label,
        (name, [prefix], id, d, instance) => {
          const pattern = instanceHostPatternOf(`${name}.${prefix}${id}.${d.domain}`)!;
          const built = instanceHostFromPattern(pattern, instance, 5432);
          expect(built).toEqual({ host: `${instance}.${id}.${d.domain}`, port: 5432 });
          expect(classifyHost(built.host)).toBe('instance');
          expect(instanceHostPatternOf(built.host)).toBe(pattern);
        },
      ),
    );
  });

  it('IP addresses (v4, v6, bracketed v6) are ip-address', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.ipV4(),
          fc.ipV6(),
          fc.ipV6().map((a) => `[${a}]`),
        ),
        (ip) => {
          expect(classifyHost(ip)).toBe('ip-address');
          expect(instanceHostPatternOf(ip)).toBeUndefined();
        },
      ),
    );
  });

  it('custom domains are other and carry no cluster data', () => {
    fc.assert(
      fc.property(
        fc.domain().filter((d) => !d.includes('amazonaws')),
        (d) => {
          expect(classifyHost(d)).toBe('other');
          expect(rdsClusterId(d)).toBeUndefined();
          expect(clusterEndpointsOf(d)).toBeUndefined();
        },
      ),
    );
  });

  it('examples, including near misses that are not RDS names', () => {
    expect(classifyHost('mydb.cluster-abc123.us-east-1.rds.amazonaws.com')).toBe('writer-cluster');
    expect(instanceHostPatternOf('mydb.cluster-abc123.us-east-1.rds.amazonaws.com')).toBe(
      '?.abc123.us-east-1.rds.amazonaws.com',
    );
    expect(classifyHost('MyDB.Cluster-RO-ABC123.US-EAST-1.RDS.AMAZONAWS.COM')).toBe('reader-cluster');
    expect(classifyHost('mydb.cluster-abc123.us-east-1.rds.amazonaws.com.')).toBe('writer-cluster');
    expect(classifyHost('db.cluster-abc.rds.cn-north-1.amazonaws.com.cn')).toBe('writer-cluster');
    expect(classifyHost('db.cluster-abc.rds.us-gov-west-1.amazonaws.com')).toBe('writer-cluster');
    // The `rds.<region>` order outside China is only GovCloud.
    expect(classifyHost('db.cluster-abc.rds.us-east-1.amazonaws.com')).toBe('other');
    expect(classifyHost('db.cluster-abc.us-east-1.rds.amazonaws.com.evil.com')).toBe('other');
    expect(classifyHost('localhost')).toBe('other');
    expect(classifyHost('127.0.0.1')).toBe('ip-address');
    expect(rdsClusterId('inst-1.abc123.us-east-1.rds.amazonaws.com')).toBeUndefined();
    expect(clusterEndpointsOf('ep.cluster-custom-abc.us-east-1.rds.amazonaws.com')).toBeUndefined();
  });
});
