/**
 * Sample: credentials from AWS Secrets Manager with `aurora-ha/pg` (docs/secrets-manager.md).
 *
 *   npx tsx examples/pg-secrets-manager.ts
 *
 * Starts a local emulated Aurora PostgreSQL cluster with its emulated Secrets Manager, runs
 * queries through a pool that logs in with the secret's user and password, rotates the secret
 * (the database password changes 3 s before the secret does) and fails the writer over inside
 * that window: every query still succeeds, and the secret is read a bounded number of times.
 * Against AWS, drop `secretEndpoint` / `awsCredentialsProvider` and give your secret's ARN.
 */
import { FailoverSuccessError } from 'aurora-ha';
import { startCluster } from 'aurora-ha/emulator';
import { Pool } from 'aurora-ha/pg';
import { driveThroughFailover } from './drive-through-failover.js';

const cluster = await startCluster({ engine: 'postgres', instances: 3, secretsManager: true });
const secret = cluster.secret!;
const aws = cluster.aws!;
const pool = new Pool({
  ...cluster.writerEndpoint,
  database: cluster.credentials.database,
  max: 5,
  plugins: ['initialConnection', 'failover2', 'hostMonitoring', 'secretsManager'],
  secretId: secret.secretId,
  secretRegion: secret.region,
  secretEndpoint: secret.endpoint,
  awsCredentialsProvider: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  failoverTimeoutMs: 30_000,
});
let failoversSeen = 0;

/** One statement through the pool; after a failover the pooled client is on the new writer: repeat. */
async function instanceId(): Promise<string> {
  for (;;) {
    try {
      const r = await pool.query('SELECT pg_catalog.aurora_db_instance_identifier() AS id');
      return (r.rows[0] as { id: string }).id;
    } catch (err) {
      if (err instanceof FailoverSuccessError) {
        failoversSeen++;
        continue;
      }
      throw err;
    }
  }
}

let exitCode = 1;
try {
  let rotation: Promise<void> | undefined;
  const readsBefore = secret.reads();
  const { steps, newWriter } = await driveThroughFailover(cluster, async (i) => {
    // 40 steps in, the rotation starts: new password on every instance now, in the secret 3 s later.
    if (i === 40) rotation = cluster.rotateSecret({ windowMs: 3_000 }).then((r) => r.completed());
    // Five at once, so the pool opens (and after the failover, re-opens) several connections.
    await Promise.all([1, 2, 3, 4, 5].map(() => instanceId()));
  });
  await rotation;
  const connectedTo = await instanceId();
  const summary = { steps, newWriter, connectedTo, secretReads: secret.reads() - readsBefore, failoversSeen };
  console.log(JSON.stringify(summary));
  const ok = connectedTo === newWriter && summary.secretReads >= 1 && summary.secretReads <= 12;
  console.log(
    ok ? 'OK: every query ran through the rotation and the failover, secret reads bounded' : 'FAILED',
  );
  exitCode = ok ? 0 : 1;
} finally {
  await pool.end().catch(() => undefined);
  await cluster.stop();
}
process.exit(exitCode);
