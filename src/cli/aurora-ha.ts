/**
 * `aurora-ha` command line. `aurora-ha emulator ...` starts an emulated cluster, prints its
 * endpoints (Aurora names, loopback addresses) and the command line that attaches another
 * process to its names (`AURORA_HA_EMULATOR=… node --import aurora-ha/emulator/attach`), and
 * reads control commands on stdin until `quit`, end of input or SIGINT/SIGTERM.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigurationError } from '../core/errors.js';
import { startCluster } from '../emulator/start-cluster.js';
import type {
  BadCertificateKind,
  ClusterTls,
  EmulatedCluster,
  FailoverOptions,
  InstanceEndpoint,
  PartitionMode,
} from '../emulator/types.js';
import { emulatorUsage, parseEmulatorFlags } from './emulator-flags.js';

const USAGE = emulatorUsage();

const COMMANDS = `commands (instances by number or id):
  failover [N] [silent] [keep-down]
                          writer crashes, best reader (or N) promoted; silent: the old
                          writer's sockets stay open and mute, new ones hang, until heal;
                          keep-down: the old writer stays down (refusing) until reboot
  switchover [N]          graceful role swap
  crash N | reboot N      kill an instance / start it again
  partition N MODE        MODE = blackhole | reset | refuse
  latency N MS            add MS each way
  heal N                  remove partition (also a silent failover's) and latency
  hold N | release N      freeze a reader's replay (it keeps reporting the old topology
                          through a failover) / let it replay and follow the writer again
  add-reader | remove-reader N
  bad-cert N [unknown-ca|wrong-name] | good-cert N
                          (--tls) N serves a certificate clients must refuse / the good one
  rotate-secret [MS]      (--secrets-manager) new password on every instance now, the
                          secret's AWSCURRENT moved MS later (default 5000)
  topology | timeline | help | quit`;

class UsageError extends Error {}

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer (got "${value}")`);
  return n;
}

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

function table(instances: InstanceEndpoint[]): string {
  return instances
    .map((i) => `  ${i.id.padEnd(12)} ${i.role.padEnd(7)} ${i.address}:${i.port}  ${i.host}`)
    .join('\n');
}

function describe(cluster: EmulatedCluster, caFile: string | undefined): string {
  const { user, password, database } = cluster.credentials;
  const tls = caFile
    ? [
        `  tls              required; trust the CA in ${caFile}`,
        '                   (by address: set servername / the instance name for hostname checks)',
      ]
    : [];
  const iam =
    cluster.iamUser !== undefined
      ? [`  iam user         ${cluster.iamUser} (IAM tokens only, signed with the aws keys above)`]
      : [];
  return [
    `emulated ${cluster.engine} cluster (${cluster.flavor})`,
    `  writer endpoint  ${cluster.writerEndpoint.host}:${cluster.writerEndpoint.port}`,
    `  reader endpoint  ${cluster.readerEndpoint.host}:${cluster.readerEndpoint.port}`,
    `  host pattern     ${cluster.instanceHostPattern}`,
    `  credentials      user=${user} password=${password} database=${database}`,
    ...tls,
    ...awsLines(cluster),
    ...iam,
    `  control endpoint ${cluster.controlEndpoint}`,
    'run an application in its own process with these names (same DNS lag):',
    `  AURORA_HA_EMULATOR=${cluster.controlEndpoint} node --import aurora-ha/emulator/attach app.js`,
    '  (CommonJS: --require aurora-ha/emulator/attach; without it use the addresses below)',
    'instances:',
    table(cluster.instances()),
  ].join('\n');
}

function awsLines(cluster: EmulatedCluster): string[] {
  const { aws, secret } = cluster;
  if (!aws) return [];
  return [
    `  aws              endpoint=${aws.endpoint} region=${aws.region}`,
    `                   accessKeyId=${aws.accessKeyId} secretAccessKey=${aws.secretAccessKey} (valid here only)`,
    ...(secret ? [`  secret           secretId=${secret.secretId}`] : []),
  ];
}

function instanceId(cluster: EmulatedCluster, arg: string | undefined): string {
  if (arg === undefined) throw new UsageError('an instance number or id is needed');
  const id = /^\d+$/.test(arg) ? `instance-${arg}` : arg;
  if (!cluster.instances().some((i) => i.id === id)) throw new UsageError(`no instance ${arg}`);
  return id;
}

const FAILOVER_FLAGS = ['silent', 'keep-down'] as const;

/** `failover [N] [silent] [keep-down]`: an optional instance and flags, in any order. */
function failoverArgs(cluster: EmulatedCluster, args: string[]): FailoverOptions {
  const opts: FailoverOptions = {};
  for (const arg of args) {
    if (arg === 'silent') opts.silent = true;
    else if (arg === 'keep-down') opts.keepOldWriterDown = true;
    else if (opts.target === undefined && !(FAILOVER_FLAGS as readonly string[]).includes(arg))
      opts.target = instanceId(cluster, arg);
    else throw new UsageError(`unexpected "${arg}" (failover [N] [${FAILOVER_FLAGS.join('] [')}])`);
  }
  return opts;
}

function tlsOf(cluster: EmulatedCluster): ClusterTls {
  if (!cluster.tls) throw new UsageError('the cluster serves no TLS (start it with --tls)');
  return cluster.tls;
}

async function runCommand(cluster: EmulatedCluster, line: string): Promise<'quit' | undefined> {
  const [cmd, a, b, ...more] = line.trim().split(/\s+/);
  switch (cmd) {
    case undefined:
    case '':
      return undefined;
    case 'quit':
    case 'exit':
      return 'quit';
    case 'help':
      console.log(COMMANDS);
      return undefined;
    case 'failover':
    case 'switchover': {
      const args = [a, b, ...more].filter((x): x is string => x !== undefined);
      const opts: FailoverOptions = cmd === 'failover' ? failoverArgs(cluster, args) : {};
      if (cmd === 'switchover' && args[0] !== undefined) opts.target = instanceId(cluster, args[0]);
      const started = Date.now();
      const { newWriter } =
        cmd === 'failover' ? await cluster.failover(opts) : await cluster.switchover(opts);
      console.log(
        `${cmd}: ${newWriter} is the writer (${Date.now() - started} ms); recovery continues in the background`,
      );
      return undefined;
    }
    case 'crash':
      await cluster.crash(instanceId(cluster, a));
      break;
    case 'reboot':
      await cluster.reboot(instanceId(cluster, a));
      break;
    case 'partition':
      cluster.partition(instanceId(cluster, a), {
        mode: oneOf<PartitionMode>(b, 'mode', ['blackhole', 'reset', 'refuse'], 'blackhole'),
      });
      break;
    case 'heal':
      cluster.heal(instanceId(cluster, a));
      break;
    case 'hold':
      await cluster.hold(instanceId(cluster, a));
      break;
    case 'release':
      await cluster.release(instanceId(cluster, a));
      break;
    case 'latency':
      cluster.latency(instanceId(cluster, a), intOption(b, 'ms', 0));
      break;
    case 'add-reader': {
      const added = await cluster.addReader();
      console.log(`added ${added.id} at ${added.address}:${added.port} (${added.host})`);
      return undefined;
    }
    case 'remove-reader':
      await cluster.removeReader(instanceId(cluster, a));
      break;
    case 'bad-cert':
      await tlsOf(cluster).serveBadCertificate(
        instanceId(cluster, a),
        oneOf<BadCertificateKind>(b, 'kind', ['unknown-ca', 'wrong-name'], 'unknown-ca'),
      );
      break;
    case 'good-cert':
      await tlsOf(cluster).serveGoodCertificate(instanceId(cluster, a));
      break;
    case 'rotate-secret': {
      const rotation = await cluster.rotateSecret({ windowMs: intOption(a, 'ms', 5_000) });
      console.log(
        `rotate-secret: new password live on every instance; AWSCURRENT moves to ${rotation.versionId} in ${Math.max(0, rotation.currentAt - Date.now())} ms`,
      );
      return undefined;
    }
    case 'topology':
      console.log(table(cluster.topology()));
      return undefined;
    case 'timeline': {
      const events = cluster.timeline();
      const t0 = events[0]?.at ?? Date.now();
      for (const e of events)
        console.log(
          `  +${String(e.at - t0).padStart(7)} ms  ${e.kind}${e.instanceId ? ` ${e.instanceId}` : ''}${e.detail ? ` (${e.detail})` : ''}`,
        );
      return undefined;
    }
    default:
      throw new UsageError(`unknown command "${cmd}" (try help)`);
  }
  console.log('ok');
  return undefined;
}

async function emulator(argv: string[]): Promise<number> {
  const flags = parseEmulatorFlags(argv);
  if (flags.help) {
    console.log(`${USAGE}\n\n${COMMANDS}`);
    return 0;
  }
  const started = Date.now();
  const cluster = await startCluster(flags.options);
  // Other processes trust the cluster's throw-away CA from this file (removed on stop).
  const caFile = cluster.tls
    ? join(tmpdir(), `aurora-ha-${cluster.instanceHostPattern.split('.')[1] ?? 'cluster'}-ca.pem`)
    : undefined;
  if (caFile && cluster.tls) await writeFile(caFile, cluster.tls.ca, { mode: 0o644 });
  console.log(
    `${describe(cluster, caFile)}\nstarted in ${Date.now() - started} ms; type "help" for commands`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= cluster.stop().finally(() => (caFile ? rm(caFile, { force: true }) : undefined)));
  const onSignal = (): void => {
    void stop().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    try {
      if ((await runCommand(cluster, line)) === 'quit') break;
    } catch (err) {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  rl.close();
  await stop();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'emulator') return emulator(rest);
  console.error(`${USAGE}`);
  return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One line, no stack: e.g. the engine is not installed and how to install it.
    console.error(`aurora-ha: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError || err instanceof ConfigurationError ? 2 : 1);
  },
);
