// The application of the OpenTelemetry test's children (test/integration/otel-failover*.test.ts),
// shared by the CommonJS child (otel-child.cjs: require of dist/*.cjs) and the ESM one
// (otel-child.mjs: import of dist/*.js), which hand it the aurora-ha module they loaded: 10 workers
// run `SELECT 1` statements, each inside an `app.statement` span, through aurora-ha's pg Client +
// Pool (or mysql2 connection + pool) while the parent fails the writer over. It serves the
// cluster's names itself (updated by the parent after the DNS switch), counts what the
// application saw, and on `stop` prints one `@@{json}` report: spans, metrics, mysql2 channel
// events and the application's own numbers. Commands on stdin: `failover`, `names <json>`, `stop`.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, on purpose (require hooks) */
/* global setTimeout */
'use strict';
const dns = require('node:dns');
const { syncBuiltinESMExports } = require('node:module');
const { createInterface } = require('node:readline');
const { trace } = require('@opentelemetry/api');

const settings = JSON.parse(process.env.OTEL_CHILD ?? '{}');
const SQL = 'SELECT 1 AS x';
// Workers 0 and 1 (a Client / connection each) run a slow statement instead, so that one is in
// flight when the writer crashes: its failure starts a failover (trigger network) that links to it.
const SLOW_SQL = settings.engine === 'mysql' ? 'SELECT SLEEP(0.4) AS x' : 'SELECT pg_sleep(0.4) AS x';
// Once the failover command came, the first of workers 0 and 1 to start a statement sends one
// long statement, and the child says `armed` (the parent then crashes the writer) only after it
// is on the wire: a statement is then surely in flight at the crash, whatever the machine's load
// (with only the 0.4 s statements, beside a second suite every connection was once between
// statements and no failover had a statement to link to, issue 19). The crash ends it at once.
const LONG_SQL = settings.engine === 'mysql' ? 'SELECT SLEEP(20) AS x' : 'SELECT pg_sleep(20) AS x';
const USER_SQL = new Set([SQL, SLOW_SQL, LONG_SQL]);
// One only: a second one, sent after the crash, would run its 20 s on the new writer.
let longSent = false;
let longOnWire;
const longStarted = new Promise((resolve) => (longOnWire = resolve));
function sqlOf(w) {
  if (w >= 2) return SQL;
  if (app.failoverCommandAt !== undefined && !longSent) {
    longSent = true;
    setTimeout(longOnWire, 100).unref();
    return LONG_SQL;
  }
  return SLOW_SQL;
}
const out = (o) => process.stdout.write(`@@${JSON.stringify(o)}\n`);

// ---- names of the emulated cluster ----
let names = settings.names;
const originalLookup = dns.lookup;
dns.lookup = function lookup(host, opts, cb) {
  if (typeof opts === 'function') [cb, opts] = [opts, {}];
  if (typeof opts === 'number') opts = { family: opts };
  const a = names[String(host).toLowerCase()];
  if (a === undefined) return originalLookup.call(dns, host, opts, cb);
  if (opts && opts.all) process.nextTick(cb, null, [{ address: a, family: 4 }]);
  else process.nextTick(cb, null, a, 4);
  return undefined;
};
syncBuiltinESMExports();

const tracer = trace.getTracer('app');
const app = {
  configuredHost: settings.host,
  statements: 0,
  ok: 0,
  errors: {},
  failoverEvents: { success: 0, failed: 0 },
  failoverCommandAt: undefined,
  lastOutcomeAt: undefined,
  recoveredAt: undefined,
};
/** Facade object → host it is on now (as the application can know it: connect host, then 'failover' events). */
const hostOf = new WeakMap();
function watch(conn) {
  if (hostOf.has(conn)) return;
  hostOf.set(conn, settings.host);
  conn.on('failover', (e) => {
    app.failoverEvents[e.outcome === 'success' ? 'success' : 'failed']++;
    app.lastOutcomeAt = Date.now();
    if (e.outcome === 'success' && typeof e.to === 'string') hostOf.set(conn, e.to.replace(/:\d+$/, ''));
  });
}

const sawSuccessAfter = new Set();
function phase() {
  if (app.failoverCommandAt === undefined) return 'before';
  if (app.recoveredAt === undefined) return 'during';
  return 'after';
}

async function statement(worker, kind, conn, run) {
  const ph = phase();
  await tracer.startActiveSpan('app.statement', async (span) => {
    span.setAttribute('app.worker', worker);
    span.setAttribute('app.kind', kind);
    span.setAttribute('app.phase', ph);
    const expected = conn === undefined ? undefined : hostOf.get(conn);
    if (expected !== undefined) span.setAttribute('app.expected_host', expected);
    app.statements++;
    try {
      await run();
      app.ok++;
      span.setAttribute('app.ok', true);
      if (app.failoverCommandAt !== undefined && app.recoveredAt === undefined) {
        sawSuccessAfter.add(worker);
        if (sawSuccessAfter.size === settings.workers) {
          app.recoveredAt = Date.now();
          out({ recovered: app.recoveredAt });
        }
      }
    } catch (err) {
      const name = (err && (err.name === 'Error' ? err.code : err.name)) || String(err);
      app.errors[name] = (app.errors[name] ?? 0) + 1;
      if (app.failoverCommandAt !== undefined) app.lastOutcomeAt = Date.now();
      span.setAttribute('app.ok', false);
      span.setAttribute('app.error', String(name));
    } finally {
      span.end();
    }
  });
}

/** A user's connect (Client.connect, pool checkout) inside its own span, so every driver connect span of the user has an app parent. */
function userConnect(fn) {
  return tracer.startActiveSpan('app.connect', (span) =>
    Promise.resolve()
      .then(fn)
      .finally(() => span.end()),
  );
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
const opts = { plugins: [settings.plugin], failoverTimeoutMs: 30_000 };

function pgWorkers({ Client, Pool }) {
  const cfg = { host: settings.host, port: settings.port, user: settings.user, password: settings.password, database: settings.database, connectionTimeoutMillis: 5000, ...opts };
  const clients = [];
  const pool = new Pool({ ...cfg, max: 6 });
  pool.on('connect', (c) => watch(c));
  pool.on('error', () => undefined);
  const loops = [];
  for (let w = 0; w < settings.workers; w++) {
    const kind = w < 4 ? 'client' : w < 7 ? 'pool.query' : 'pool.client';
    loops.push(
      (async () => {
        let client;
        if (kind === 'client') {
          client = new Client(cfg);
          client.on('error', () => undefined);
          watch(client);
          clients.push(client);
          await userConnect(() => client.connect());
        }
        while (!stopping) {
          if (kind === 'client') await statement(w, kind, client, () => client.query(sqlOf(w)));
          else if (kind === 'pool.query') await statement(w, kind, undefined, () => pool.query(SQL));
          else {
            let c;
            try {
              c = await userConnect(() => pool.connect());
            } catch {
              await pause(20);
              continue;
            }
            let bad;
            await statement(w, kind, c, () => c.query(SQL).catch((e) => ((bad = e), Promise.reject(e))));
            c.release(bad !== undefined && bad.name === 'FailoverFailedError' ? bad : undefined);
          }
          await pause(20);
        }
      })(),
    );
  }
  return { loops, close: async () => { await Promise.all(clients.map((c) => c.end().catch(() => undefined))); await pool.end().catch(() => undefined); } };
}

function mysqlWorkers(mysql) {
  const cfg = { host: settings.host, port: settings.port, user: settings.user, password: settings.password, database: settings.database, connectTimeout: 5000, ...opts };
  const conns = [];
  const pool = mysql.createPool({ ...cfg, connectionLimit: 6 });
  pool.on('connection', (c) => watch(c));
  const cbQuery = (c, sql = SQL) => new Promise((res, rej) => c.query(sql, (err) => (err ? rej(err) : res())));
  const loops = [];
  for (let w = 0; w < settings.workers; w++) {
    const kind = w < 4 ? 'connection' : w < 7 ? 'pool.query' : 'pool.connection';
    loops.push(
      (async () => {
        let conn;
        if (kind === 'connection') {
          conn = mysql.createConnection(cfg);
          conn.on('error', () => undefined);
          watch(conn);
          conns.push(conn);
          await userConnect(() => new Promise((res, rej) => conn.connect((err) => (err ? rej(err) : res()))));
        }
        while (!stopping) {
          if (kind === 'connection') await statement(w, kind, conn, () => cbQuery(conn, sqlOf(w)));
          else if (kind === 'pool.query') await statement(w, kind, undefined, () => cbQuery(pool));
          else {
            const c = await userConnect(
              () => new Promise((res) => pool.getConnection((err, got) => res(err ? undefined : got))),
            );
            if (c === undefined) {
              await pause(20);
              continue;
            }
            watch(c);
            await statement(w, kind, c, () => cbQuery(c));
            c.release();
          }
          await pause(20);
        }
      })(),
    );
  }
  const end = (c) => new Promise((res) => c.end(() => res()));
  return { loops, close: async () => { await Promise.all(conns.map(end)); await end(pool); } };
}

function spanReport(finished) {
  const scopeOf = (s) => (s.instrumentationScope ?? s.instrumentationLibrary ?? {}).name;
  const parentOf = (s) => s.parentSpanContext?.spanId ?? s.parentSpanId;
  const ms = (t) => t[0] * 1e3 + t[1] / 1e6;
  const byId = new Map(finished.map((s) => [s.spanContext().spanId, s]));
  const appSpans = finished.filter((s) => s.name === 'app.statement');
  const dbSpans = finished.filter((s) => /instrumentation-(pg|mysql2)$/.test(scopeOf(s) ?? ''));
  const isConnect = (s) => /connect/i.test(s.name);
  const queries = dbSpans.filter((s) => !isConnect(s));
  const children = new Map();
  const internal = [];
  const wrongHost = [];
  for (const q of queries) {
    const parent = byId.get(parentOf(q));
    if (parent === undefined || parent.name !== 'app.statement') {
      internal.push({ name: q.name, text: String(q.attributes['db.query.text'] ?? q.attributes['db.statement'] ?? ''), parent: parent?.name ?? null });
      continue;
    }
    const id = parent.spanContext().spanId;
    children.set(id, (children.get(id) ?? 0) + 1);
    const host = q.attributes['server.address'] ?? q.attributes['net.peer.name'];
    const expected = parent.attributes['app.expected_host'];
    if (expected !== undefined && host !== expected) wrongHost.push({ host, expected, phase: parent.attributes['app.phase'] });
  }
  const perStatement = {};
  for (const a of appSpans) {
    const key = `${a.attributes['app.phase']}/${a.attributes['app.kind']}/${a.attributes['app.ok'] ? 'ok' : 'error'}`;
    const n = children.get(a.spanContext().spanId) ?? 0;
    perStatement[key] ??= {};
    perStatement[key][n] = (perStatement[key][n] ?? 0) + 1;
  }
  const connects = { underApp: 0, other: 0, otherNames: {}, byParent: {} };
  for (const c of dbSpans.filter(isConnect)) {
    // Under a user call when any ancestor is (pg-pool.connect spans sit in between).
    let parent = byId.get(parentOf(c));
    const direct = parent?.name ?? 'root';
    connects.byParent[direct] = (connects.byParent[direct] ?? 0) + 1;
    while (parent !== undefined && !parent.name.startsWith('app.')) parent = byId.get(parentOf(parent));
    if (parent !== undefined) connects.underApp++;
    else {
      connects.other++;
      const key = `${c.name} <- ${byId.get(parentOf(c))?.name ?? 'root'}`;
      connects.otherNames[key] = (connects.otherNames[key] ?? 0) + 1;
    }
  }
  const hostOfSpan = (s) => s.attributes['server.address'] ?? s.attributes['net.peer.name'];
  const failovers = finished.filter((s) => s.name === 'aurora_ha.failover').map((s) => ({
    parent: byId.get(parentOf(s))?.name ?? null,
    parentId: parentOf(s) ?? null,
    // Each link's target as found among the finished spans (null: not exported).
    links: s.links.map((l) => {
      const t = byId.get(l.context.spanId);
      return t === undefined
        ? null
        : { name: t.name, scope: scopeOf(t), host: hostOfSpan(t), status: t.status.code, parentId: parentOf(t) ?? null, endedAfterStartMs: ms(t.endTime) - ms(s.startTime) };
    }),
    // The driver connect spans directly under this failover span (its reconnects).
    connects: dbSpans.filter((c) => isConnect(c) && parentOf(c) === s.spanContext().spanId).length,
    start: ms(s.startTime),
    end: ms(s.endTime),
    durationMs: ms(s.duration),
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, at: ms(e.time), ms: e.attributes?.['aurora_ha.phase.duration_ms'] })),
    status: s.status.code,
  }));
  const searches = finished.filter((s) => s.name === 'aurora_ha.monitor.search').map((s) => ({
    root: parentOf(s) === undefined,
    durationMs: ms(s.duration),
    attributes: s.attributes,
    events: s.events.map((e) => e.name),
  }));
  // One failover's tree, for the closing note: the user's statement, its db span, the failover span.
  let sample;
  const f = finished.find((s) => s.name === 'aurora_ha.failover' && byId.get(parentOf(s))?.name === 'app.statement');
  if (f !== undefined) {
    const parent = byId.get(parentOf(f));
    const pid = parent.spanContext().spanId;
    sample = {
      statement: { name: parent.name, attributes: parent.attributes, ms: ms(parent.duration) },
      children: finished
        .filter((s) => parentOf(s) === pid)
        .map((s) => ({ name: s.name, ms: ms(s.duration), status: s.status.code, attributes: s.attributes, events: s.events.map((e) => e.name) })),
    };
  }
  return { total: finished.length, appStatements: appSpans.length, dbQuerySpans: queries.length, internal, wrongHost, perStatement, connects, failovers, searches, sample };
}

function metricReport(collected) {
  const out = {};
  for (const sm of collected.resourceMetrics.scopeMetrics) {
    if (sm.scope.name !== 'aurora-ha') continue;
    for (const m of sm.metrics) {
      out[m.descriptor.name] = {
        unit: m.descriptor.unit,
        type: m.descriptor.type,
        points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
      };
    }
  }
  const other = collected.resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name));
  return { aurora: out, allNames: [...new Set(other)] };
}

/** @param driver aurora-ha's `aurora-ha/mysql2` or `aurora-ha/pg` module, as the child loaded it (settings.engine). */
async function main(driver) {
  const workers = settings.engine === 'mysql' ? mysqlWorkers(driver) : pgWorkers(driver);
  const done = Promise.all(workers.loops);
  done.catch((err) => out({ fatal: String(err && err.stack || err) }));
  await pause(1500);
  out({ ready: true });
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line === 'failover') {
      app.failoverCommandAt = Date.now();
      longStarted.then(() => out({ armed: true }));
    }
    else if (line.startsWith('names ')) names = JSON.parse(line.slice(6));
    else if (line === 'stop') break;
  }
  stopping = true;
  await done.catch(() => undefined);
  const { reader, spans, mysql2Events } = globalThis.__otelTest;
  const collected = await reader.collect();
  await workers.close();
  await pause(200);
  const userEvents = mysql2Events.filter((e) => USER_SQL.has(e.query)).length;
  out({
    report: {
      app,
      spans: spanReport(spans.getFinishedSpans()),
      metrics: metricReport(collected),
      mysql2Channel: {
        total: mysql2Events.length,
        user: userEvents,
        other: mysql2Events.filter((e) => e.channel !== 'mysql2:connect' && !USER_SQL.has(e.query)).map((e) => e.query).slice(0, 20),
        connects: mysql2Events.filter((e) => e.channel === 'mysql2:connect').length,
      },
    },
  });
}

function run(load) {
  Promise.resolve()
    .then(load)
    .then(main)
    .catch((err) => {
      out({ fatal: String((err && err.stack) || err) });
      process.exitCode = 1;
    });
}

module.exports = { run, settings };
