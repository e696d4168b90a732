/**
 * `clusterInstanceHostPattern`: parse and validate (`?.my-domain.com`, `any.?.my-domain.com:9999`:
 * exactly one `?` standing for the instance id, optional port, not itself an RDS cluster, custom
 * cluster or proxy endpoint) and build an instance's host from it.
 */

import { ConfigurationError } from '../core/errors.js';
import { classifyHost, instanceHostPatternOf } from './rds-url.js';
import type { ResolvedOptions } from '../core/wrapper-options.js';

/**
 * The instance host pattern in force for a connection to `host`: `clusterInstanceHostPattern`
 * when given, else the one derived from an RDS host name, else undefined (IP addresses and
 * custom domains need the option).
 */
export function effectiveHostPattern(
  options: Pick<ResolvedOptions, 'clusterInstanceHostPattern'>,
  host: string,
): string | undefined {
  return options.clusterInstanceHostPattern ?? instanceHostPatternOf(host);
}

export interface HostPattern {
  /** Host part with the `?` placeholder, e.g. `?.my-domain.com`. */
  host: string;
  port: number | undefined;
}

const OPTION = 'clusterInstanceHostPattern';
const HOST_CHARS = /^[a-z0-9?](?:[a-z0-9?.-]*[a-z0-9?])?$/i;

/** Accepted form, as shown in errors and in the options table. */
export const HOST_PATTERN_FORM = '?.<domain>[:port]';

function fail(pattern: string, why: string): never {
  throw new ConfigurationError(
    OPTION,
    `Invalid value ${JSON.stringify(pattern)} for option \`${OPTION}\`: ${why}. Accepted: ${HOST_PATTERN_FORM} (a host name with exactly one "?" for the instance id and an optional port, e.g. "?.my-domain.com" or "any-subdomain.?.my-domain.com:9999").`,
    [HOST_PATTERN_FORM],
  );
}

export function parseHostPattern(pattern: string): HostPattern {
  const trimmed = pattern.trim();
  if (trimmed.length === 0) fail(pattern, 'it is empty');
  let host = trimmed;
  let port: number | undefined;
  const colon = trimmed.lastIndexOf(':');
  if (colon >= 0) {
    host = trimmed.slice(0, colon);
    const portText = trimmed.slice(colon + 1);
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      fail(pattern, `the port "${portText}" is not a number between 1 and 65535`);
    }
    port = Number(portText);
  }
  const marks = host.split('?').length - 1;
  if (marks !== 1) fail(pattern, `it must contain exactly one "?" (found ${marks})`);
  if (!HOST_CHARS.test(host) || host.includes('..')) fail(pattern, 'it is not a valid host name');
  const type = classifyHost(host.replace('?', 'instance'));
  if (
    type === 'writer-cluster' ||
    type === 'reader-cluster' ||
    type === 'custom-cluster' ||
    type === 'proxy'
  ) {
    fail(pattern, `it is an RDS ${type} endpoint, not an instance pattern`);
  }
  if (type === 'ip-address') fail(pattern, 'an IP address cannot hold an instance id');
  return { host, port };
}

/** The pattern back in its text form (`host[:port]`). */
export function formatHostPattern(p: HostPattern): string {
  return p.port === undefined ? p.host : `${p.host}:${p.port}`;
}

/** The host and port of instance `instanceId` under `pattern` (port from the pattern, else `defaultPort`). */
export function instanceHostFromPattern(
  pattern: string | HostPattern,
  instanceId: string,
  defaultPort: number,
): { host: string; port: number } {
  const p = typeof pattern === 'string' ? parseHostPattern(pattern) : pattern;
  return { host: p.host.replace('?', instanceId), port: p.port ?? defaultPort };
}
