// Build: ESM + CommonJS bundles with type declarations, one entry per public subpath.
import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      pg: 'src/pg.ts',
      mysql2: 'src/mysql2.ts',
      'mysql2-promise': 'src/mysql2-promise.ts',
      emulator: 'src/emulator.ts',
    },
    format: ['esm', 'cjs'],
    // Types of every entry, `aurora-ha/emulator/attach`'s too: built here because `clean`
    // would remove them from the attach builds below.
    dts: {
      entry: {
        index: 'src/index.ts',
        pg: 'src/pg.ts',
        mysql2: 'src/mysql2.ts',
        'mysql2-promise': 'src/mysql2-promise.ts',
        emulator: 'src/emulator.ts',
        'emulator-attach': 'src/emulator-attach.ts',
      },
    },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    // The optional peer stays the user's copy; shims give the CommonJS build an import.meta.url
    // (src/otel/load-api.ts resolves the peer from its own file in both builds).
    external: [
      'pg',
      'mysql2',
      '@opentelemetry/api',
      '@aws-sdk/rds-signer',
      '@aws-sdk/client-secrets-manager',
    ],
    shims: true,
    splitting: true,
  },
  // `aurora-ha/emulator/attach`, preloaded with --import (ESM: waits for the first name table
  // with a top-level await) or --require (CommonJS: cannot wait); exports attachedCluster().
  {
    entry: { 'emulator-attach': 'src/emulator-attach.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
  },
  {
    entry: { 'emulator-attach': 'src/emulator-attach-require.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
  },
  {
    entry: { 'cli/aurora-ha': 'src/cli/aurora-ha.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    external: ['pg', 'mysql2'],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
