// Test fixture run as a separate, genuinely ESM process (no test-runner transform): resolves the
// emulator's names through every way user code reaches Node's resolver, with two clusters running,
// then again after both stopped. Prints one JSON line: { running: {...}, stopped: {...} }.
import { createRequire } from 'node:module';
import { lookup as esmLookup } from 'node:dns';
import { lookup as esmPromisesLookup } from 'node:dns/promises';
import { startCluster } from '../../src/emulator.ts';

const require = createRequire(import.meta.url);
const cjsDns = require('node:dns');

const ways = {
  'require("node:dns").lookup': (host) =>
    new Promise((resolve, reject) =>
      cjsDns.lookup(host, (err, address) => (err ? reject(err) : resolve(address))),
    ),
  'import { lookup } from "node:dns"': (host) =>
    new Promise((resolve, reject) =>
      esmLookup(host, (err, address) => (err ? reject(err) : resolve(address))),
    ),
  'import { lookup } from "node:dns/promises"': async (host) => (await esmPromisesLookup(host)).address,
  'dns.promises.lookup': async (host) => (await cjsDns.promises.lookup(host)).address,
};

async function resolveAll(names) {
  const out = {};
  for (const [way, lookup] of Object.entries(ways)) {
    out[way] = [];
    for (const name of names) {
      try {
        out[way].push(await lookup(name));
      } catch (err) {
        out[way].push(`error:${err.code}`);
      }
    }
  }
  return out;
}

const engine = process.argv[2] === 'mysql' ? 'mysql' : 'postgres';
const clusters = [await startCluster({ engine, instances: 1 }), await startCluster({ engine, instances: 1 })];
const names = clusters.map((c) => c.writerEndpoint.host);
const expected = clusters.map((c) => c.instances()[0].address);
let running;
try {
  running = await resolveAll(names);
} finally {
  for (const c of clusters) await c.stop();
}
const stopped = await resolveAll(names);
process.stdout.write(`${JSON.stringify({ names, expected, running, stopped })}\n`);
process.exit(0);
