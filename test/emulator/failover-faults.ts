/**
 * The failover faults of the emulator, as a plain driver sees them, written once and run on
 * each engine by postgres-failover-faults.test.ts and mysql-failover-faults.test.ts:
 * silent failover (a query in flight on the old writer stays pending until heal); an old
 * writer kept down (refused until reboot); a held reader (stale topology until release).
 */
import { describe, expect, it } from 'vitest';
import type { EmulatedCluster } from '../../src/emulator.js';
import { useCluster } from '../support/cluster.js';
import { codeOf, eventually, hostOf, openSession, roleOf, sleep, SQL, watch } from './fault-sessions.js';

function writerId(c: EmulatedCluster): string {
  const w = c.instances().find((i) => i.role === 'writer');
  if (!w) throw new Error('no writer');
  return w.id;
}

export function failoverFaultTests(engine: 'postgres' | 'mysql'): void {
  const cluster = useCluster({ engine, instances: 3 });
  const sql = SQL[engine];

  describe(`${engine} emulator: failover({ silent: true })`, () => {
    it('a query in flight on the old writer is still pending 10 s later, and settles after heal', async () => {
      const c = cluster();
      const old = writerId(c);
      const oldHost = hostOf(c, old);
      const session = await openSession(c, oldHost);
      const inFlight = watch(session.query(sql.sleep(0.5)));
      await sleep(100); // the query has reached the engine
      const t0 = Date.now();
      const { newWriter } = await c.failover({ silent: true });
      expect(newWriter).not.toBe(old);
      // A connection opened now to the old writer's name hangs too (no refusal, no reset).
      const late = watch(openSession(c, oldHost, 0));
      // The new writer is there and writable meanwhile.
      const w = await openSession(c, c.writerEndpoint.host);
      expect((await w.query(sql.instanceId)).map((r) => Object.values(r)[0])).toEqual([newWriter]);
      await w.close();
      // 10 s from the writer's loss as the timeline has it (what is checked below): counted from
      // t0 instead, the loss recorded a few ms after t0 on a loaded machine (7 ms beside a second
      // suite) left the heal 10 s after t0 but not after the loss (issue 19).
      const lostAt = c.timeline().find((e) => e.kind === 'writer-lost' && e.at >= t0 - 5)?.at ?? t0;
      await sleep(10_000 - (Date.now() - lostAt));
      expect(inFlight.settled()).toBe(false);
      expect(late.settled()).toBe(false);
      // Recovery behind the silence: the old writer is rebuilt as a reader.
      await c.settled();
      expect(roleOf(c, old)).toBe('reader');
      expect(inFlight.settled()).toBe(false);

      c.heal(old);
      const healedAt = Date.now();
      const result = await inFlight.outcome;
      expect(Date.now() - healedAt).toBeLessThan(5_000);
      // Its engine died under it: the connection is reset once the network answers again.
      expect(result.ok).toBe(false);
      expect(codeOf(result.value)).toBe('ECONNRESET');
      // The connection attempt that hung now reaches the old writer, rebuilt as a reader.
      const lateResult = await late.outcome;
      expect(lateResult.ok).toBe(true);
      const lateSession = lateResult.value as Awaited<ReturnType<typeof openSession>>;
      expect(Object.values((await lateSession.query(sql.isReader))[0] ?? {}).map(Number)).toEqual([1]);
      await lateSession.close();
      await session.close();

      const events = c.timeline().filter((e) => e.at >= t0 - 5);
      const lost = events.find((e) => e.kind === 'writer-lost');
      expect(lost).toMatchObject({ instanceId: old, detail: expect.stringMatching(/silent/) });
      expect(events.find((e) => e.kind === 'partitioned')).toMatchObject({ instanceId: old });
      expect(events.find((e) => e.kind === 'healed')).toMatchObject({ instanceId: old });
      expect(events.find((e) => e.kind === 'healed')!.at).toBeGreaterThanOrEqual(lost!.at + 10_000);
    });
  });

  describe(`${engine} emulator: a blackhole outranks "engine down"`, () => {
    it('partition(id, blackhole) then crash(id): the client hears nothing until heal, then a reset', async () => {
      const c = cluster();
      const r = c.instances().find((i) => i.role === 'reader')!;
      const session = await openSession(c, r.host);
      c.partition(r.id, { mode: 'blackhole' });
      const q = watch(session.query('SELECT 1'));
      await c.crash(r.id);
      await sleep(1_500);
      expect(q.settled()).toBe(false);
      c.heal(r.id);
      const result = await q.outcome;
      expect(result.ok).toBe(false);
      expect(codeOf(result.value)).toBe('ECONNRESET');
      // healed but still crashed: refused, as any crashed instance
      const refused = await eventually(
        () => watch(openSession(c, r.host)).outcome,
        (x) => codeOf(x.value) === 'ECONNREFUSED',
        5_000,
      );
      expect(codeOf(refused.value)).toBe('ECONNREFUSED');
      await session.close();
      await c.reboot(r.id);
      expect(roleOf(c, r.id)).toBe('reader');
    });
  });

  describe(`${engine} emulator: failover({ keepOldWriterDown: true })`, () => {
    it('connecting to the old writer is refused until reboot, which brings it back as a reader', async () => {
      const c = cluster();
      const old = writerId(c);
      const oldHost = hostOf(c, old);
      const t0 = Date.now();
      const { newWriter } = await c.failover({ keepOldWriterDown: true });
      await c.settled(); // the other readers are re-pointed; nothing rebuilds the old writer
      for (const pause of [0, 2_000]) {
        await sleep(pause);
        expect(roleOf(c, old)).toBe('down');
        const refused = await watch(openSession(c, oldHost)).outcome;
        expect(refused.ok).toBe(false);
        expect(codeOf(refused.value)).toBe('ECONNREFUSED');
      }
      // The cluster works without it.
      const w = await openSession(c, c.writerEndpoint.host);
      expect((await w.query(sql.instanceId)).map((r) => Object.values(r)[0])).toEqual([newWriter]);
      await w.close();

      await c.reboot(old);
      expect(roleOf(c, old)).toBe('reader');
      const back = await openSession(c, oldHost);
      expect(Object.values((await back.query(sql.isReader))[0] ?? {}).map(Number)).toEqual([1]);
      await back.close();

      const events = c.timeline().filter((e) => e.at >= t0 - 5 && e.instanceId === old);
      expect(events.map((e) => e.kind)).toEqual(['writer-lost', 'instance-rebooted']);
      expect(events[0]?.detail).toMatch(/kept down until reboot/);
    });

    it('with silent: true as well, the old writer is mute until heal, then refuses until reboot', async () => {
      const c = cluster();
      const old = writerId(c);
      const oldHost = hostOf(c, old);
      const session = await openSession(c, oldHost);
      const inFlight = watch(session.query(sql.sleep(0.5)));
      await sleep(100);
      await c.failover({ silent: true, keepOldWriterDown: true });
      await c.settled();
      await sleep(1_000);
      expect(inFlight.settled()).toBe(false);
      c.heal(old);
      const result = await inFlight.outcome;
      expect(codeOf(result.value)).toBe('ECONNRESET');
      const refused = await eventually(
        () => watch(openSession(c, oldHost)).outcome,
        (r) => codeOf(r.value) === 'ECONNREFUSED',
        5_000,
      );
      expect(codeOf(refused.value)).toBe('ECONNREFUSED');
      await c.reboot(old);
      expect(roleOf(c, old)).toBe('reader');
      await session.close();
    });
  });

  describe(`${engine} emulator: hold(id) / release(id)`, () => {
    it('a held reader reports the old writer after promotion, and the new one after release', async () => {
      const c = cluster();
      const old = writerId(c);
      const held = c.instances().find((i) => i.role === 'reader')!.id;
      const writerSeenBy = async (id: string): Promise<string | undefined> => {
        const s = await openSession(c, hostOf(c, id));
        try {
          return sql.writerOf(await s.query(sql.topology));
        } finally {
          await s.close();
        }
      };
      expect(await writerSeenBy(held)).toBe(old);
      const t0 = Date.now();
      await c.hold(held);
      const { newWriter } = await c.failover();
      expect(newWriter).not.toBe(held); // a held reader is promoted only when no other is left
      expect(await writerSeenBy(newWriter)).toBe(newWriter);
      expect(await writerSeenBy(held)).toBe(old);
      await c.settled();
      await sleep(2_500); // the new writer has rewritten the topology twice meanwhile
      expect(await writerSeenBy(held)).toBe(old);
      expect(roleOf(c, held)).toBe('reader');

      await c.release(held);
      const seen = await eventually(
        () => writerSeenBy(held),
        (w) => w === newWriter,
      );
      expect(seen).toBe(newWriter);

      const events = c.timeline().filter((e) => e.at >= t0);
      expect(events.filter((e) => e.instanceId === held).map((e) => e.kind)).toEqual([
        'reader-held',
        'reader-released',
        'reader-repointed',
      ]);
      const promoted = events.find((e) => e.kind === 'promoted')!;
      expect(events.find((e) => e.kind === 'reader-released')!.at).toBeGreaterThanOrEqual(
        promoted.at + 2_500,
      );
    });

    it('only a live reader can be held', async () => {
      const c = cluster();
      await expect(c.hold(writerId(c))).rejects.toMatchObject({ code: 'EMULATOR_BAD_TARGET' });
      await expect(c.hold('instance-99')).rejects.toMatchObject({ code: 'EMULATOR_UNKNOWN_INSTANCE' });
    });
  });
}
