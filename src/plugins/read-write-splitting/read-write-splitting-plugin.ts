/**
 * `readWriteSplitting` (AWS's plugin of that name; docs/read-scaling.md › setReadOnly): the
 * logical connection keeps two physical connections while it lives, one to the writer and one
 * to a reader chosen by `readerHostSelectorStrategy`, and `setReadOnly(true | false)` makes one
 * or the other current. The side not in use stays open, idle; when it is found closed at the
 * next switch (lost while idle, or its instance changed role in a failover) a new one is opened
 * silently. The side in use fails over as any connection does (the reader side in a reader
 * mode, so a read whose reader died is resent: read-resend.ts). Subscribes to no call: a query
 * costs nothing more with this plugin loaded.
 */
import { ConnectionClosedError, ReadWriteSplittingError } from '../../core/errors.js';
import { keepAlive } from '../../core/keep-alive.js';
import { Deadline, pause, withTimeout } from '../../core/time.js';
import type { Plugin, PluginService } from '../../connection/plugin.js';
import { closeQuietly } from '../../drivers/close-quietly.js';
import type { PhysicalConnection } from '../../drivers/driver.js';
import { hostKey, type HostInfo } from '../../drivers/host-info.js';
import type { HostSelector } from '../../selectors/host-selector.js';
import { logs, writeLine } from '../../observe/log.js';
import { readerSelection } from '../failover-core/reader-selection.js';
import { RESTORE_TIMEOUT_MS } from '../failover-core/session-restore.js';
import {
  carriedSession,
  failoverModeForSide,
  noReaderAction,
  sessionKey,
  sideUsable,
} from './switch-rules.js';

/** One kept physical connection and the session state it is known to hold (undefined: unknown). */
interface Side {
  readonly conn: PhysicalConnection;
  readonly host: HostInfo;
  session: string | undefined;
}

/** A driver error's code or name, for messages (never its text: it may quote the connection string). */
function errorTag(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') return String(code);
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return 'unknown error';
}

export class ReadWriteSplittingPlugin implements Plugin {
  readonly code = 'readWriteSplitting';
  readonly subscribes = [] as const;
  private readOnly = false;
  private writer: Side | undefined;
  private reader: Side | undefined;
  /** The side current now (the writer while read-only mode fell back to it). */
  private inUse: 'writer' | 'reader' = 'writer';
  /** True while this plugin itself changes the current connection (its notification is its own). */
  private switching = false;
  /** setReadOnly calls run one after the other, in call order. */
  private queue: Promise<void> = Promise.resolve();
  private released = false;
  /** Ends the writer side's retry pauses at release(). */
  private readonly releasedCtl = new AbortController();
  private selector: HostSelector | undefined;

  constructor(private readonly service: PluginService) {
    // The first connection is the writer side: it fails over as a writer connection.
    service.overrideFailoverMode?.(failoverModeForSide('writer', service.config.options.failoverMode));
  }

  isReadOnly(): boolean {
    return this.readOnly;
  }

  setReadOnly(readOnly: boolean): Promise<void> {
    // Held alive while awaited: the pauses between the writer side's attempts are unref'd timers.
    const run = keepAlive(this.queue.then(() => this.switchTo(readOnly)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The current connection changed without this plugin (the first connect, a failover, a reader
   * move): it is the side in use from now on; the one it replaced was aborted by the service.
   */
  notifyConnectionChanged(host: HostInfo): void {
    if (this.switching) return;
    const conn = this.service.current;
    if (conn === undefined || conn === this.writer?.conn || conn === this.reader?.conn) return;
    this[this.inUse] = { conn, host, session: undefined };
  }

  /** end() / destroy(): the side not in use is closed here; the service closes the current one. */
  async release(): Promise<void> {
    this.released = true;
    this.releasedCtl.abort();
    const current = this.service.current;
    const idle = [this.writer, this.reader].filter((s): s is Side => s !== undefined && s.conn !== current);
    this.writer = undefined;
    this.reader = undefined;
    await Promise.all(idle.map((s) => closeQuietly(s.conn)));
  }

  private async switchTo(readOnly: boolean): Promise<void> {
    const s = this.service;
    if (s.closing || this.released) throw new ConnectionClosedError();
    if (readOnly === this.readOnly) return;
    if (s.inTransaction()) {
      throw new ReadWriteSplittingError(
        'READ_ONLY_IN_TRANSACTION',
        'setReadOnly',
        `setReadOnly(${readOnly}) was called inside a transaction: commit or roll back first (nothing was switched).`,
      );
    }
    // The topology through the connection in use, only when it is older than topologyRefreshMs
    // (failover2's monitor keeps it fresh; without a failover plugin nothing else reads it).
    await s.refreshTopologyQuietly?.(
      Math.min(s.config.options.failoverReaderConnectTimeoutMs, RESTORE_TIMEOUT_MS),
    );
    const leaving = this.sideOf(s.current);
    if (readOnly) {
      const reader = await this.readerSide();
      if (reader === undefined) {
        // Fallback on the writer (noReaderAction said so): read-only mode, no switch.
        this.readOnly = true;
        return;
      }
      await this.switchSide(leaving, reader, 'reader');
      this.readOnly = true;
    } else {
      const writer = await this.writerSide();
      await this.switchSide(leaving, writer, 'writer');
      this.readOnly = false;
    }
  }

  /** The kept side `conn` is, if any. */
  private sideOf(conn: PhysicalConnection | undefined): Side | undefined {
    if (conn === undefined) return undefined;
    if (this.writer?.conn === conn) return this.writer;
    if (this.reader?.conn === conn) return this.reader;
    return undefined;
  }

  /** Make `target` current, keeping `leaving` open; carry the session state when asked to. */
  private async switchSide(
    leaving: Side | undefined,
    target: Side,
    role: 'writer' | 'reader',
  ): Promise<void> {
    const s = this.service;
    if (leaving === target || s.current === target.conn) {
      this.inUse = role;
      return;
    }
    if (s.config.options.keepSessionStateOnFailover) await this.carrySession(leaving, target, role);
    s.overrideFailoverMode?.(failoverModeForSide(role, s.config.options.failoverMode));
    this.switching = true;
    try {
      await s.setCurrentConnection(target.conn, target.host, true);
      this.inUse = role;
    } finally {
      this.switching = false;
    }
  }

  /** `transferSessionStateOnSwitch`: apply what the side left holds on `target`, when it differs. */
  private async carrySession(
    leaving: Side | undefined,
    target: Side,
    role: 'writer' | 'reader',
  ): Promise<void> {
    const s = this.service;
    const wanted = carriedSession(s.sessionState(), leaving?.conn.reportedSessionState?.() ?? {});
    const key = sessionKey(wanted);
    if (leaving !== undefined) leaving.session = key;
    if (target.session === key) return;
    try {
      await withTimeout(
        s.driver.restoreSessionState(target.conn, wanted),
        RESTORE_TIMEOUT_MS,
        'session transfer',
      );
      target.session = key;
    } catch (err) {
      // Its session is unknown now: never switch to it; the next switch opens a fresh one.
      this.drop(target);
      throw new ReadWriteSplittingError(
        'READ_ONLY_SWITCH_FAILED',
        'transferSessionStateOnSwitch',
        `setReadOnly(${role === 'reader'}): the session state could not be applied on ${hostKey(target.host)} within ${RESTORE_TIMEOUT_MS} ms (transferSessionStateOnSwitch; ${errorTag(err)}); the connection stays where it was.`,
        { cause: err },
      );
    }
  }

  /** Forget a kept side and close it in the background (never the current connection). */
  private drop(side: Side): void {
    if (this.writer === side) this.writer = undefined;
    if (this.reader === side) this.reader = undefined;
    if (this.service.current !== side.conn) void closeQuietly(side.conn);
  }

  /**
   * The writer side: the kept one when usable, else a new connection to the writer, verified by
   * the instance itself. The topology's writer first, then the host the user gave (the writer
   * cluster endpoint); when neither answers as the writer (a failover while the writer side sat
   * idle, the topology not yet showing it), the topology is read again through the connection in
   * use and both are tried again, until `failoverReaderConnectTimeoutMs`.
   */
  private async writerSide(): Promise<Side> {
    const s = this.service;
    if (
      this.writer !== undefined &&
      sideUsable({ closed: this.writer.conn.closed, host: this.writer.host }, 'writer', s.hosts())
    )
      return this.writer;
    if (this.writer !== undefined) this.drop(this.writer);
    const bound = s.config.options.failoverReaderConnectTimeoutMs;
    const deadline = new Deadline(bound);
    let hosts = s.hosts();
    let last: unknown;
    let tried = '';
    for (;;) {
      const topologyWriter = hosts.find((h) => h.role === 'writer');
      const candidates = topologyWriter === undefined ? [s.initialHost] : [topologyWriter, s.initialHost];
      for (const host of candidates) {
        if (deadline.passed() || this.released) break;
        tried = hostKey(host);
        try {
          const conn = await this.open(host, deadline.cap(bound));
          if (await this.isWriter(conn, deadline)) {
            this.writer = { conn, host, session: undefined };
            return this.writer;
          }
          void closeQuietly(conn);
          last = new Error(`${hostKey(host)} is not the writer`);
        } catch (err) {
          last = err;
        }
      }
      if (deadline.passed() || this.released) break;
      await pause(Math.min(200, deadline.remaining()), this.releasedCtl.signal);
      hosts = await s.forceRefreshHostList(undefined, deadline.cap(bound)).catch(() => s.hosts());
    }
    if (this.released) throw new ConnectionClosedError();
    throw new ReadWriteSplittingError(
      'READ_ONLY_SWITCH_FAILED',
      'setReadOnly',
      `setReadOnly(false): no writer could be reached within failoverReaderConnectTimeoutMs=${bound} ms (last tried ${tried}: ${errorTag(last)}); the connection stays on the reader.`,
      { cause: last },
    );
  }

  /** Whether a new connection is on the writer (the dialect's role query, bounded); false when it cannot tell. */
  private async isWriter(conn: PhysicalConnection, deadline: Deadline): Promise<boolean> {
    if (this.service.dialect === undefined) return true;
    try {
      const role = await withTimeout(
        this.service.hostRole(conn),
        deadline.cap(RESTORE_TIMEOUT_MS),
        'role query',
      );
      return role !== 'reader';
    } catch {
      return false;
    }
  }

  /**
   * The reader side: the kept one when usable, else a new connection to a reader picked by
   * `readerHostSelectorStrategy` (readers within `maxReplicaLagMs`; those marked down last), each
   * attempt and all together bounded by `failoverReaderConnectTimeoutMs`. Undefined: stay on the
   * writer (no reader reachable, noReaderAction says fallback).
   */
  private async readerSide(): Promise<Side | undefined> {
    const s = this.service;
    const hosts = s.hosts();
    if (
      this.reader !== undefined &&
      sideUsable({ closed: this.reader.conn.closed, host: this.reader.host }, 'reader', hosts)
    )
      return this.reader;
    if (this.reader !== undefined) this.drop(this.reader);
    const readers = hosts.filter((h) => h.role === 'reader');
    const selection = readerSelection(s);
    this.selector ??= selection.selector(
      s.config.options.readerInitialConnectionHostSelectorStrategy,
      'readerHostSelectorStrategy',
    );
    const eligible = selection.eligible(hosts);
    const ordered = this.selector.order?.(eligible, 'reader') ?? [];
    for (const r of readers) if (!ordered.some((o) => hostKey(o) === hostKey(r))) ordered.push(r);
    const bound = s.config.options.failoverReaderConnectTimeoutMs;
    const deadline = performance.now() + bound;
    let last: unknown;
    for (const host of ordered) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      try {
        const conn = await this.open(host, left);
        this.reader = { conn, host, session: undefined };
        return this.reader;
      } catch (err) {
        last = err;
      }
    }
    if (noReaderAction(s.config.options.failoverMode, readers.length) === 'fail') {
      throw new ReadWriteSplittingError(
        'READ_ONLY_NO_READER',
        'failoverMode',
        `setReadOnly(true): none of the ${readers.length} reader(s) could be reached within failoverReaderConnectTimeoutMs=${bound} ms and failoverMode is strict-reader (${last === undefined ? 'none available' : errorTag(last)}); the connection stays on the writer.`,
        { cause: last },
      );
    }
    const logger = s.config.options.logger;
    if (logs(logger)) {
      writeLine(
        logger,
        'warn',
        `readWriteSplitting conn ${s.connectionId ?? 0}: no reader reachable (${readers.length} in the topology); read-only mode stays on the writer`,
      );
    }
    return undefined;
  }

  /** Open a physical connection for a side, straight to the driver, bounded. */
  private async open(
    host: HostInfo,
    timeoutMs = this.service.config.options.failoverReaderConnectTimeoutMs,
  ): Promise<PhysicalConnection> {
    const conn = await this.service.forceConnect(host, { timeoutMs, purpose: 'user' });
    if (this.released || this.service.closing) {
      await closeQuietly(conn);
      throw new ConnectionClosedError();
    }
    return conn;
  }
}
