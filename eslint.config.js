// Lint: typescript-eslint with type information so floating promises and leaking `any` are caught.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layer map of ARCHITECTURE.md › Layer map, enforced: each folder of src/ and the folders of
 * src/ it may import. Anything else is an upward (or sideways) import and fails `npm run lint`.
 */
/** What every plugin folder may import (below plugins/ in the layer map). */
const BELOW_PLUGINS = ['core', 'observe', 'drivers', 'dialects', 'topology', 'selectors', 'connection'];
/** ... and the plugins that share failover-core. */
const FAILOVER_CORE_USER = [...BELOW_PLUGINS, 'plugins/failover-core'];

const LAYERS = {
  core: [],
  // Observability (channels, logging): every layer above core may publish; the emulator may not.
  observe: ['core'],
  drivers: ['core', 'observe'],
  dialects: ['core', 'observe', 'drivers'],
  topology: ['core', 'observe', 'drivers', 'dialects'],
  selectors: ['core', 'observe', 'drivers', 'dialects', 'topology'],
  connection: ['core', 'observe', 'drivers', 'dialects', 'topology', 'selectors'],
  'plugins/failover-core': BELOW_PLUGINS,
  'plugins/failover': FAILOVER_CORE_USER,
  'plugins/failover2': FAILOVER_CORE_USER,
  'plugins/initial-connection': FAILOVER_CORE_USER,
  'plugins/host-monitoring': BELOW_PLUGINS,
  config: [...BELOW_PLUGINS, 'plugins'],
  facades: [...BELOW_PLUGINS, 'plugins', 'config'],
  plugins: [...BELOW_PLUGINS, 'plugins/*'],
  // The OpenTelemetry bridge: a subscriber of observe/'s channels; only the entry points import it.
  otel: ['core', 'observe'],
  emulator: ['core'],
  cli: ['core', 'emulator'],
};
const FOLDERS = Object.keys(LAYERS).filter((f) => !f.startsWith('plugins'));
FOLDERS.push('plugins');
const PLUGIN_FOLDERS = Object.keys(LAYERS).filter((f) => f.startsWith('plugins/'));

/** One config block per layer: imports of the folders it may not use are errors. */
function layerRules(layer, allowed) {
  const own = layer.startsWith('plugins') ? 'plugins' : layer;
  const forbidden = FOLDERS.filter((f) => f !== own && !allowed.includes(f));
  const groups = forbidden.map((f) => `**/${f}/**`);
  if (layer.startsWith('plugins/')) {
    // Inside plugins/: a plugin imports failover-core (if allowed), never another plugin or the registry.
    for (const p of PLUGIN_FOLDERS) {
      if (p !== layer && !allowed.includes(p)) groups.push(`**/${p.slice('plugins/'.length)}/**`);
    }
    groups.push('**/registry.js');
  }
  return {
    // plugins/ itself: only its own files (the registry); each plugin folder has its own block.
    files: [layer === 'plugins' ? 'src/plugins/*.ts' : `src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: groups,
              message: `src/${layer}/ may import only ${allowed.join(', ') || 'nothing else in src/'} (ARCHITECTURE.md › Layer map).`,
            },
          ],
        },
      ],
    },
  };
}

/**
 * Driver internals (issue 19): a driver's private member (an underscore name) is read, written or
 * called only in src/drivers/<driver>/internals.ts, one small named function each with why and the
 * versions checked. Elsewhere in src/ a member access `x._name`, `x['_name']`, `'_name' in x` or `{ _name } = x`
 * fails `npm run lint`, except in these files, each for its reason:
 */
const DRIVER_INTERNALS_EXCEPTIONS = [
  // Our mysql2 Pool / PoolConnection run on mysql2's own PoolConnection.prototype (release,
  // _removeFromPool, _realEnd), which uses the pool's and the connection's fields by mysql2's
  // names: those fields are ours, named as mysql2 names them (see drivers/mysql2/internals.ts).
  'src/facades/mysql2/pool.ts',
  // Node's diagnostics_channel `_subscribers` (no driver): observe/ guards a throwing subscriber.
  'src/observe/guarded-channel.ts',
];
/** Our own underscore members (no driver's): the pg Client's pool hooks, read by facades/pg/pool.ts. */
const OWN_UNDERSCORE_MEMBERS = ['_checkedOut', '_lostWhileIdle', '_wantsToMove', '_moveNow'];
const UNDERSCORE = `/^_(?!(${OWN_UNDERSCORE_MEMBERS.map((m) => m.slice(1)).join('|')})$)/`;
const DRIVER_INTERNALS_MESSAGE =
  "A driver's private member is touched only in src/drivers/<driver>/internals.ts (issue 19): add a named function there, with why and the versions checked.";

function driverInternalsRule() {
  const restricted = [
    `MemberExpression[computed=false][property.name=${UNDERSCORE}]`,
    `MemberExpression[computed=true][property.type='Literal'][property.value=${UNDERSCORE}]`,
    `BinaryExpression[operator='in'][left.type='Literal'][left.value=${UNDERSCORE}]`,
    `ObjectPattern > Property[computed=false][key.name=${UNDERSCORE}]`,
  ];
  return {
    files: ['src/**/*.ts'],
    ignores: ['src/drivers/*/internals.ts', 'src/emulator/**', ...DRIVER_INTERNALS_EXCEPTIONS],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...restricted.map((selector) => ({ selector, message: DRIVER_INTERNALS_MESSAGE })),
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.config.*', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Plain JavaScript fixtures (run as real ESM / CommonJS by child processes): no type information.
    files: ['**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable' },
    },
  },
  ...Object.entries(LAYERS).map(([layer, allowed]) => layerRules(layer, allowed)),
  driverInternalsRule(),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'demo/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Unit tests start no engine (issue 19): the emulator (and what starts it) stays out of test/unit.
    files: ['test/unit/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/emulator', '**/src/emulator/**', '**/src/emulator.js', 'aurora-ha/emulator'],
              message:
                'test/unit must not start engines: no src/emulator (use test/support/memory-driver, or move the test to test/emulator/).',
            },
            {
              // Most of test/support starts an emulated cluster; unit tests use only these.
              group: ['**/support/*.js', '**/support/*.mjs', '!**/support/secret-leaks.js'],
              message:
                'test/unit may use test/support/memory-driver and secret-leaks.js only: the other support modules start engines.',
            },
          ],
        },
      ],
    },
  },
);
