/**
 * Admin sessions kept open per instance for the emulator's frequent, tiny statements (the
 * replica-lag heartbeat, ten a second): opening a connection per statement would cost a
 * server process (PostgreSQL) or a thread (MariaDB) each time. Every use is bounded in time;
 * a session that fails or times out is destroyed and opened afresh on the next use.
 */
import { withTimeout } from '../core/time.js';

export interface SessionKind<C> {
  /** Open a session on the instance's private socket. */
  open(instanceId: string): Promise<C>;
  /** Close it at once (no graceful wait: the server may be gone). */
  destroy(session: C): void;
}

export class KeptSessions<C> {
  private readonly sessions = new Map<string, Promise<C>>();
  private closed = false;

  constructor(private readonly kind: SessionKind<C>) {}

  /** Run `work` on `instanceId`'s session, everything (opening included) within `timeoutMs`. */
  async use<T>(instanceId: string, timeoutMs: number, work: (session: C) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('sessions closed');
    const pending = this.sessions.get(instanceId) ?? this.openSession(instanceId);
    try {
      return await withTimeout(
        pending.then(work),
        timeoutMs,
        `admin statement on ${instanceId}`,
        undefined,
        () => this.drop(instanceId, pending),
      );
    } catch (err) {
      this.drop(instanceId, pending);
      throw err;
    }
  }

  private openSession(instanceId: string): Promise<C> {
    const opening = this.kind.open(instanceId);
    this.sessions.set(instanceId, opening);
    // a failed open is forgotten so the next use opens again; never unhandled
    opening.catch(() => this.forget(instanceId, opening));
    return opening;
  }

  /** Forget and destroy `instanceId`'s session (its server restarted, or it was removed). */
  reset(instanceId: string): void {
    const pending = this.sessions.get(instanceId);
    if (pending !== undefined) this.drop(instanceId, pending);
  }

  /** Destroy every session; later uses reject. Idempotent. */
  closeAll(): void {
    this.closed = true;
    for (const [id, pending] of [...this.sessions]) this.drop(id, pending);
  }

  private forget(instanceId: string, pending: Promise<C> | undefined): void {
    if (this.sessions.get(instanceId) === pending) this.sessions.delete(instanceId);
  }

  private drop(instanceId: string, pending: Promise<C>): void {
    this.forget(instanceId, pending);
    pending.then(
      (session) => this.kind.destroy(session),
      () => undefined,
    );
  }
}
