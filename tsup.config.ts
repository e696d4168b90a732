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
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    external: ['pg', 'mysql2'],
    splitting: true,
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
