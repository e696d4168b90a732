/**
 * The pg the facade can drive: an older pg module (no TypeOverrides export) is refused with a
 * typed error that names the version found and the version needed.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AuroraHaError, UnsupportedDriverError } from '../../src/core/errors.js';
import { loadedPgVersion, MIN_PG_VERSION, pgSupported } from '../../src/drivers/pg/pg-driver-support.js';
import packageJson from '../../package.json' with { type: 'json' };

describe('pg driver support', () => {
  it('accepts the installed pg and refuses a module without TypeOverrides (pg < 8.15.5)', () => {
    expect(pgSupported(pg)).toBe(true);
    const { TypeOverrides: _dropped, ...older } = pg as unknown as Record<string, unknown>;
    expect(pgSupported(older)).toBe(false);
  });

  it('reads the loaded pg version', () => {
    expect(loadedPgVersion()).toMatch(/^8\.\d+\.\d+$/);
  });

  it('starts the peer range at MIN_PG_VERSION', () => {
    expect(packageJson.peerDependencies.pg).toBe(`^${MIN_PG_VERSION}`);
  });

  it('names the driver, the version found and the version needed', () => {
    const err = new UnsupportedDriverError('pg', '8.11.0', MIN_PG_VERSION);
    expect(err).toBeInstanceOf(AuroraHaError);
    expect(err.name).toBe('UnsupportedDriverError');
    expect(err.code).toBe('UNSUPPORTED_DRIVER');
    expect(err.message).toMatch(/^aurora-ha needs pg >= 8\.15\.5; found pg 8\.11\.0\./);
  });
});
