/**
 * Sample: an HTTP service on an aurora-ha `pg` Pool, run in its own process against the
 * emulator through `aurora-ha/emulator/attach` (docs/emulator.md, *Attach another process*).
 * Nothing here knows about the emulator: the same code runs against a real Aurora cluster.
 *
 *   npx aurora-ha emulator --engine postgres --instances 3 --dns-lag-ms 5000   # prints the line below
 *   AURORA_HA_EMULATOR=127.0.0.1:PORT DB_HOST=mydb.cluster-….rds.amazonaws.com DB_PORT=… \
 *     node --import aurora-ha/emulator/attach examples/attach-service.ts   # (tsx: --import tsx too)
 *
 * GET /hit?id=N records hit N once (a retry after a failover error cannot count it twice) and
 * answers `{ "id": N, "instance": "instance-1" }`: the writer that took it. Prints
 * `listening PORT`; SIGTERM/SIGINT close the server and the pool, and the process ends.
 */
import http from 'node:http';
import { FailoverSuccessError, TransactionResolutionUnknownError } from 'aurora-ha';
import { Pool } from 'aurora-ha/pg';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
};

const pool = new Pool({
  host: env('DB_HOST'),
  port: Number(env('DB_PORT', '5432')),
  user: env('DB_USER', 'aurora_test'),
  password: env('DB_PASSWORD', 'aurora-test-pw'),
  database: env('DB_NAME', 'aurora_test'),
  max: 8,
  failoverTimeoutMs: 30_000,
});

await pool.query('CREATE TABLE IF NOT EXISTS hits (id bigint PRIMARY KEY, instance text NOT NULL)');

/** Idempotent by id: repeated after FailoverSuccessError / TransactionResolutionUnknownError. */
async function hit(id: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query(
        'INSERT INTO hits (id, instance) VALUES ($1, aurora_db_instance_identifier()) ON CONFLICT DO NOTHING',
        [id],
      );
      const { rows } = await pool.query<{ instance: string }>(
        'SELECT aurora_db_instance_identifier() AS instance',
      );
      return rows[0]?.instance ?? '?';
    } catch (err) {
      const retry = err instanceof FailoverSuccessError || err instanceof TransactionResolutionUnknownError;
      if (!retry || attempt >= 3) throw err;
    }
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://service');
  const id = Number(url.searchParams.get('id'));
  if (url.pathname !== '/hit' || !Number.isSafeInteger(id)) {
    res.writeHead(404).end();
    return;
  }
  hit(id).then(
    (instance) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, instance })),
    (err: unknown) => res.writeHead(503).end(err instanceof Error ? err.message : String(err)),
  );
});

server.listen(Number(env('PORT', '0')), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
});

const shutdown = (): void => {
  server.close();
  server.closeAllConnections();
  void pool.end();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
