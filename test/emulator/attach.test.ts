/**
 * Issue 25: a process started with `aurora-ha/emulator/attach` (ESM `--import` and CommonJS
 * `--require`, from src through tsx) resolves a real emulated cluster's names with the
 * emulator's DNS lag: the writer endpoint answers the old writer until `dns-switched` (dnsLagMs
 * after the promotion), then the new one within 100 ms; the reader endpoint answers at random
 * among the readers. Its failover2 pg Client fails over by name to the new writer, and it
 * exits by itself. It can drive the faults itself (attachedCluster().failover(), with the
 * emulator's errors). An added reader's name resolves there too. Once the cluster stops, the
 * names answer ENOTFOUND at once and the control endpoint is closed.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type EmulatedCluster } from '../../src/emulator.js';
import type { AttachChildSpec } from '../support/attach-child.js';
import { spawnAttachChild, type AttachFlavor } from '../support/attach-spawn.js';

const DNS_LAG_MS = 1_500;

const tcpHandles = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;

function specOf(c: EmulatedCluster): AttachChildSpec {
  const instance = c.instances()[0];
  if (!instance) throw new Error('no instance');
  return {
    writerHost: c.writerEndpoint.host,
    readerHost: c.readerEndpoint.host,
    instanceHost: instance.host,
    port: c.writerEndpoint.port,
    ...c.credentials,
  };
}

describe.each<AttachFlavor>(['esm', 'cjs'])('postgres: an attached process (%s)', (flavor) => {
  let cluster: EmulatedCluster;
  let tcpBefore = 0;
  beforeAll(async () => {
    tcpBefore = tcpHandles();
    cluster = await startCluster({ engine: 'postgres', instances: 3, dnsLagMs: DNS_LAG_MS });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('follows the names with the lag, fails over by name, exits by itself', { timeout: 90_000 }, async () => {
    const [oldWriter, ...readers] = cluster.instances();
    if (!oldWriter) throw new Error('no writer');
    const child = spawnAttachChild(flavor, ['failover', JSON.stringify(specOf(cluster))], {
      AURORA_HA_EMULATOR: cluster.controlEndpoint,
    });
    const start = await child.next('start');
    const transcript = (): string => child.transcript();
    // ESM: the very first lookup answers (the entry waited for the table); CommonJS: soon.
    if (flavor === 'esm') expect(start.firstAnswer, transcript()).toBe(oldWriter.address);
    expect(start.writer, transcript()).toBe(oldWriter.address);
    expect(start.waitedMs).toBeLessThan(flavor === 'esm' ? 50 : 2_000);
    expect(start.readers, transcript()).toEqual(readers.map((r) => r.address).sort());
    expect(start.instance).toBe(oldWriter.address);
    expect((await child.next('connected')).id, transcript()).toBe(oldWriter.id);

    const { newWriter } = await cluster.failover();
    const newAddress = cluster.instances().find((i) => i.id === newWriter)?.address;
    expect(await child.next('failover-error', 60_000), transcript()).toMatchObject({
      code: 'FAILOVER_SUCCESS',
    });
    expect(await child.next('after', 60_000), transcript()).toMatchObject({ id: newWriter, ro: false });
    const switched = await child.next('writer', 30_000);
    expect(switched.address, transcript()).toBe(newAddress);
    await child.next('ended');
    expect(await child.exited(), transcript()).toBe(0);

    // Same lag as in this process: the attached answer moved within 100 ms of dns-switched,
    // which came dnsLagMs after the promotion; before it the old writer was answered throughout.
    const events = cluster.timeline();
    const promoted = events.find((e) => e.kind === 'promoted' && e.instanceId === newWriter);
    const dnsSwitched = events.find((e) => e.kind === 'dns-switched' && e.instanceId === newWriter);
    if (!promoted || !dnsSwitched) throw new Error(`timeline without the switch: ${JSON.stringify(events)}`);
    const at = switched.at as number;
    expect(at - dnsSwitched.at, transcript()).toBeGreaterThanOrEqual(-5);
    expect(at - dnsSwitched.at, transcript()).toBeLessThan(100);
    expect(at - promoted.at).toBeGreaterThanOrEqual(DNS_LAG_MS - 5);
  });

  it('drives failover from the attached process (attachedCluster())', { timeout: 60_000 }, async () => {
    const writer = cluster.instances().find((i) => i.role === 'writer');
    const child = spawnAttachChild(flavor, ['drive', JSON.stringify(specOf(cluster))], {
      AURORA_HA_EMULATOR: cluster.controlEndpoint,
    });
    expect((await child.next('topology')).writer, child.transcript()).toBe(writer?.id);
    const { newWriter } = await child.next('failed-over');
    expect(newWriter).not.toBe(writer?.id);
    expect(cluster.instances().find((i) => i.role === 'writer')?.id).toBe(newWriter);
    expect(await child.next('refused')).toMatchObject({ code: 'EMULATOR_UNKNOWN_INSTANCE' });
    expect(await child.next('refused')).toMatchObject({
      code: 'CONFIGURATION',
      message: expect.stringContaining('latency'),
    });
    await child.next('settled');
    expect(await child.exited(), child.transcript()).toBe(0);
  });

  it(
    'resolves an added reader; answers ENOTFOUND at once after stop(), the control endpoint closed',
    { timeout: 60_000 },
    async () => {
      const endpoint = cluster.controlEndpoint;
      const writerHost = cluster.writerEndpoint.host;
      const child = spawnAttachChild(flavor, ['commands'], { AURORA_HA_EMULATOR: endpoint });
      child.process.stdin.write(
        `wait ${writerHost} ${cluster.instances().find((i) => i.role === 'writer')?.address}\n`,
      );
      expect((await child.next('waited')).ms, child.transcript()).toBeLessThan(2_000);
      // A new instance's name reaches the attached process with the instance.
      const added = await cluster.addReader();
      const addedAt = Date.now();
      child.process.stdin.write(`wait ${added.host} ${added.address}\n`);
      expect((await child.next('waited')).answer, child.transcript()).toBe(added.address);
      expect(Date.now() - addedAt).toBeLessThan(200);
      await cluster.stop();
      child.process.stdin.write(`wait ${writerHost} ENOTFOUND\n`);
      expect((await child.next('waited')).answer).toBe('ENOTFOUND');
      child.process.stdin.write(`lookup ${writerHost}\n`);
      const lost = await child.next('lookup');
      expect(lost.promise, child.transcript()).toMatchObject({ answer: 'ENOTFOUND' });
      expect(lost.callback).toMatchObject({ answer: 'ENOTFOUND' });
      expect((lost.promise as { ms: number }).ms).toBeLessThan(100);
      expect((lost.callback as { ms: number }).ms).toBeLessThan(100);
      const [host, port] = endpoint.split(':');
      await expect(
        new Promise((resolve, reject) =>
          net.connect(Number(port), host).on('connect', resolve).on('error', reject),
        ),
      ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      // Retrying against a closed endpoint holds nothing: stdin ends, the child ends.
      child.process.stdin.end();
      expect(await child.exited(), child.transcript()).toBe(0);
      // No listener or socket of the cluster (its control server included) is left here.
      expect(tcpHandles()).toBe(tcpBefore);
    },
  );
});
