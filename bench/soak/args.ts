/**
 * Command line of the chaos soak:
 *   npm run soak -- --engine postgres|mysql --minutes M --connections N --plugins failover,hostMonitoring
 *                   [--report path.json] [--fault-every-ms 8000] [--faults silent-failover,failover,...]
 *                   [--pool-size 10] [--pool-workers 10] [--auth password|iam|secrets] [--rotate-every-ms 120000]
 * Without --report the report goes to defaultReportPath(), outside the checkout, so a run leaves
 * no untracked files; the committed 10-minute reports in bench/soak/results are written with --report.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AUTH_MODES, ROTATE_EVERY_MS, type SoakAuth } from './auth.js';

export interface SoakArgs {
  engine: 'postgres' | 'mysql';
  minutes: number;
  connections: number;
  plugins: string[];
  report: string;
  /** Mean pause between two faults (each fault waits for the cluster to settle first). */
  faultEveryMs: number;
  /** Fault kinds to pick from (default: all of faults.ts). */
  faults: string[] | undefined;
  /** Size of the run's pool (pg `max`, mysql2 `connectionLimit`). */
  poolSize: number;
  /** Workers sharing that pool (checkouts and pool.query), besides the `connections` workers; 0 = no pool. */
  poolWorkers: number;
  /** How every soak connection logs in (auth.ts); default `password`, the test user's. */
  auth: SoakAuth;
  /** `--auth secrets`: time between two rotations of the cluster's secret. */
  rotateEveryMs: number;
}

/**
 * Where a run without --report writes: `<os tmpdir>/aurora-ha-soak/latest-<engine>-<plugins>.json`,
 * `…-<plugins>-<auth>.json` with `--auth iam|secrets`.
 */
export function defaultReportPath(
  engine: string,
  plugins: readonly string[],
  auth: SoakAuth = 'password',
): string {
  const mode = auth === 'password' ? '' : `-${auth}`;
  return path.join(tmpdir(), 'aurora-ha-soak', `latest-${engine}-${plugins.join('+') || 'none'}${mode}.json`);
}

function fail(message: string): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) fail(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) values.set(a.slice(2, eq), a.slice(eq + 1));
    else values.set(a.slice(2), argv[++i] ?? fail(`${a} needs a value`));
  }
  const known = new Set([
    'engine',
    'minutes',
    'connections',
    'plugins',
    'report',
    'fault-every-ms',
    'faults',
    'pool-size',
    'pool-workers',
    'auth',
    'rotate-every-ms',
  ]);
  for (const k of values.keys()) if (!known.has(k)) fail(`unknown option --${k}`);
  const engine = values.get('engine') ?? 'postgres';
  if (engine !== 'postgres' && engine !== 'mysql') fail('--engine must be postgres or mysql');
  const minutes = Number(values.get('minutes') ?? '1');
  if (!(minutes > 0 && minutes <= 24 * 60)) fail('--minutes must be a number > 0');
  const connections = Number(values.get('connections') ?? '20');
  if (!Number.isInteger(connections) || connections < 1 || connections > 1000)
    fail('--connections must be an integer 1..1000');
  const poolSize = Number(values.get('pool-size') ?? '10');
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000)
    fail('--pool-size must be an integer 1..1000');
  const poolWorkers = Number(values.get('pool-workers') ?? String(poolSize));
  if (!Number.isInteger(poolWorkers) || poolWorkers < 0 || poolWorkers > 1000)
    fail('--pool-workers must be an integer 0..1000');
  const faultEveryMs = Number(values.get('fault-every-ms') ?? '8000');
  if (!(faultEveryMs >= 1000)) fail('--fault-every-ms must be ≥ 1000');
  const plugins = (values.get('plugins') ?? 'failover,hostMonitoring')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const auth = values.get('auth') ?? 'password';
  if (!isAuth(auth)) fail(`--auth must be one of ${AUTH_MODES.join(', ')}`);
  const rotateEveryMs = Number(values.get('rotate-every-ms') ?? String(ROTATE_EVERY_MS));
  if (!(rotateEveryMs >= 10_000)) fail('--rotate-every-ms must be ≥ 10000');
  if (values.has('rotate-every-ms') && auth !== 'secrets')
    fail('--rotate-every-ms applies only with --auth secrets');
  for (const p of ['iam', 'secretsManager'])
    if (plugins.includes(p)) fail(`--plugins: ${p} is added by --auth (iam, secrets), not listed`);
  const report = values.get('report') ?? defaultReportPath(engine, plugins, auth);
  const faults = values
    .get('faults')
    ?.split(',')
    .map((f) => f.trim());
  return {
    engine,
    minutes,
    connections,
    plugins,
    report,
    faultEveryMs,
    faults,
    poolSize,
    poolWorkers,
    auth,
    rotateEveryMs,
  };
}

function isAuth(value: string): value is SoakAuth {
  return (AUTH_MODES as readonly string[]).includes(value);
}
