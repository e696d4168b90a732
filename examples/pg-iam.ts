/**
 * Sample: IAM database authentication with `aurora-ha/pg` (docs/iam.md).
 *
 *   npx tsx examples/pg-iam.ts
 *
 * Starts a local emulated Aurora PostgreSQL cluster over TLS that accepts its IAM user only with
 * RDS IAM tokens living 5 s, runs queries through a pool whose every connection signs its own
 * token (`@aws-sdk/rds-signer`) for the instance it connects to, waits past the tokens' lifetime,
 * and fails the writer over: the reconnects, the failover2 monitor and the pool's new clients log
 * in with fresh tokens. Against AWS, drop `awsCredentialsProvider` (the SDK's default chain) and
 * use your cluster endpoint, user and the RDS CA bundle.
 */
import { FailoverSuccessError } from 'aurora-ha';
import { startCluster } from 'aurora-ha/emulator';
import { Pool } from 'aurora-ha/pg';
import { driveThroughFailover } from './drive-through-failover.js';

// `iam`, `iamTokenTtlMs` and `cluster.iamUser`: the emulator's IAM enforcement (docs/emulator.md).
const options = { engine: 'postgres', instances: 3, tls: true, iam: true, iamTokenTtlMs: 5_000 } as const;
const cluster = await startCluster(options);
const aws = cluster.aws!;
const pool = new Pool({
  ...cluster.writerEndpoint,
  user: cluster.iamUser,
  database: cluster.credentials.database,
  ssl: { ca: cluster.tls!.ca },
  max: 5,
  plugins: ['initialConnection', 'failover2', 'hostMonitoring', 'iam'],
  iamRegion: aws.region,
  iamTokenExpiration: 2, // seconds: reuse a token for 2 s (RDS tokens live 15 minutes)
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
  await Promise.all([1, 2, 3, 4, 5].map(() => instanceId()));
  console.log('waiting past the tokens’ lifetime…');
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const { steps, newWriter } = await driveThroughFailover(cluster, async () => {
    await Promise.all([1, 2, 3, 4, 5].map(() => instanceId()));
  });
  const connectedTo = await instanceId();
  console.log(JSON.stringify({ steps, newWriter, connectedTo, failoversSeen }));
  const ok = connectedTo === newWriter;
  console.log(ok ? 'OK: every connection logged in with a fresh token, through the failover' : 'FAILED');
  exitCode = ok ? 0 : 1;
} finally {
  await pool.end().catch(() => undefined);
  await cluster.stop();
}
process.exit(exitCode);
