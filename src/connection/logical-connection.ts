/**
 * One user connection: holds one physical connection at a time, the plugins created for
 * it, their pipelines (composed once, here) and the connect / end / destroy lifecycle.
 * Facades call `execute(method, run)` for every network method; with no plugin subscribed
 * to a method they may skip it and call the driver directly (see `pipelineFor`).
 */
import type { ResolvedConfig } from '../core/wrapper-options.js';
import type { DriverAdapter, PhysicalConnection } from '../drivers/driver.js';
import { ConnectionClosedError, ReadWriteSplittingError } from '../core/errors.js';
import { keepAlive } from '../core/keep-alive.js';
import type { ExecuteNext, NetworkMethod, Plugin, PluginFactory } from './plugin.js';
import type { Pipelines } from './pipeline.js';
import { composePipelines } from './pipeline.js';
import type { ConnectionObserver } from './plugin-service.js';
import { ConnectionPluginService } from './plugin-service.js';
import { useLogger } from '../observe/log-taps.js';
import { withCredentialSource } from './credentials.js';

const NO_PLUGINS: readonly Plugin[] = Object.freeze([]);

export class LogicalConnection<TNative = unknown> {
  readonly service: ConnectionPluginService;
  readonly plugins: readonly Plugin[];
  readonly pipelines: Pipelines;
  private opening: Promise<void> | undefined;
  private ending: Promise<void> | undefined;
  /** Lets go of the `logger` option's process-wide lines (log-taps.ts); set while open. */
  private releaseLogger: (() => void) | undefined;
  private endAnnounced = false;

  /**
   * @param factories plugin factories in pipeline order (the facade resolves `config.options.plugins`
   *   through the plugin registry, which sits above this layer).
   */
  constructor(config: ResolvedConfig, driver: DriverAdapter, factories: readonly PluginFactory[]) {
    // A credential plugin wraps the driver once: every connect through this service, and the
    // monitors it creates (which keep this driver), takes fresh credentials (credentials.ts).
    let source: ReturnType<NonNullable<PluginFactory['credentials']>> | undefined;
    let others = 0;
    for (const f of factories) {
      if (f.credentials !== undefined) source ??= f.credentials(config, driver);
      else others++;
    }
    const used = source === undefined ? driver : withCredentialSource(driver, source);
    // Credential plugins need no dialect: detection runs only for the plugins that read it.
    this.service = new ConnectionPluginService(config, used, others > 0);
    this.plugins = factories.length === 0 ? NO_PLUGINS : factories.map((f) => f.create(this.service));
    this.pipelines = composePipelines(this.plugins, this.service.driverConnect);
    this.service.attach(this.plugins, this.pipelines.connect);
  }

  /** True once end()/destroy() was called. */
  get closing(): boolean {
    return this.service.closing;
  }

  /** The current physical connection, if connected. */
  get current(): PhysicalConnection<TNative> | undefined {
    return this.service.current as PhysicalConnection<TNative> | undefined;
  }

  /** The composed pipeline of `method`, or undefined when no plugin subscribes to it. */
  pipelineFor(method: NetworkMethod): ExecuteNext | undefined {
    return this.pipelines.execute[method];
  }

  /** The facade told about physical connection changes (one per logical connection). */
  observe(observer: ConnectionObserver): void {
    this.service.observe(observer);
  }

  /**
   * Whether a lost socket will be recovered on the next call (some plugin says so). When false,
   * facades report the loss with the driver's `'error'` event, as the plain driver does.
   */
  recoversFromLoss(): boolean {
    if (this.service.closing) return false;
    return this.plugins.some((p) => p.recoversFromLoss?.() === true);
  }

  /** Whether some plugin may recover a lost socket, now or once it learnt the topology. */
  mayRecoverLoss(): boolean {
    if (this.service.closing) return false;
    return this.plugins.some((p) => p.mayRecoverLoss?.() === true);
  }

  /** Open the first physical connection through the connect pipeline. Idempotent. */
  open(): Promise<void> {
    if (this.ending) return Promise.reject(new ConnectionClosedError());
    // Held alive while awaited: the connect pipeline's retry pauses are unref'd timers.
    this.opening ??= keepAlive(this.doOpen());
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    const s = this.service;
    if (s.config.options.logger !== undefined) this.releaseLogger = useLogger(s.config.options.logger);
    let conn: PhysicalConnection;
    try {
      conn = await s.connect(s.initialHost, true);
    } catch (err) {
      // Release what the connection holds; an end() already under way waits for this open() itself.
      if (this.ending === undefined) {
        this.ending = this.doEnd(false, false);
        await this.ending;
      }
      throw err;
    }
    await s.setCurrentConnection(conn, conn.host);
  }

  /** Wait for open() (when under way) so calls made before it finished run after it. */
  ready(): Promise<void> {
    if (this.ending) return Promise.reject(new ConnectionClosedError());
    if (this.opening === undefined) {
      return Promise.reject(
        new ConnectionClosedError('The connection is not connected: call connect() first.'),
      );
    }
    return this.opening;
  }

  /** The driver's connection object for a call happening now; throws when closed. */
  native(): TNative {
    const conn = this.service.current;
    if (conn === undefined || this.service.closing) {
      throw new ConnectionClosedError();
    }
    return conn.native as TNative;
  }

  /** Run a network-bound call through the method's pipeline. */
  execute<T>(method: NetworkMethod, run: () => Promise<T>): Promise<T> {
    if (this.service.closing) return Promise.reject(new ConnectionClosedError());
    const pipeline = this.pipelines.execute[method];
    return pipeline === undefined ? run() : pipeline(method, run);
  }

  /** Release plugins, close the physical connection, release the host list provider. Idempotent. */
  end(): Promise<void> {
    this.announceEnd();
    this.ending ??= this.doEnd(false, true);
    return this.ending;
  }

  /** Like end() but the physical connection is aborted, not closed gracefully. */
  destroy(): Promise<void> {
    this.announceEnd();
    this.ending ??= this.doEnd(true, true);
    return this.ending;
  }

  /** Whether some plugin wants the idle connection moved before it is handed out (no I/O). */
  wantsToMove(): boolean {
    if (this.service.closing || this.endAnnounced) return false;
    for (const p of this.plugins) if (p.wantsToMove?.() === true) return true;
    return false;
  }

  /** Move the idle connection (the first plugin that wants to); true when it moved; never rejects. */
  async moveNow(): Promise<boolean> {
    for (const p of this.plugins) {
      if (p.wantsToMove?.() === true && p.moveNow !== undefined) return p.moveNow().catch(() => false);
    }
    return false;
  }

  /**
   * `setReadOnly(readOnly)` of the facades: the readWriteSplitting plugin switches between its
   * writer and reader connections. Rejects with a ReadWriteSplittingError on a non-boolean or
   * without the plugin; with ConnectionClosedError after end().
   */
  async setReadOnly(readOnly: unknown): Promise<void> {
    if (typeof readOnly !== 'boolean') {
      throw new ReadWriteSplittingError(
        'READ_ONLY_BAD_ARGUMENT',
        'setReadOnly',
        `setReadOnly(readOnly) takes a boolean; got ${readOnly === null ? 'null' : typeof readOnly}.`,
      );
    }
    const plugin = this.plugins.find((p) => p.setReadOnly !== undefined);
    if (plugin?.setReadOnly === undefined) {
      throw new ReadWriteSplittingError(
        'READ_ONLY_NOT_ENABLED',
        'plugins',
        "setReadOnly() needs the readWriteSplitting plugin: add 'readWriteSplitting' to the plugins option.",
      );
    }
    await this.ready();
    if (this.service.closing) throw new ConnectionClosedError();
    await plugin.setReadOnly(readOnly);
  }

  /** True while the readWriteSplitting plugin routes to the reader side (no I/O). */
  isReadOnly(): boolean {
    for (const p of this.plugins) if (p.isReadOnly?.() === true) return true;
    return false;
  }

  /**
   * The user is ending this connection (facades call it as end() / destroy() is called, before
   * handing over what is in flight): plugins' `ending` hooks run now, once.
   */
  announceEnd(): void {
    if (this.endAnnounced) return;
    this.endAnnounced = true;
    for (const p of this.plugins) p.ending?.();
  }

  private async doEnd(abort: boolean, waitOpen: boolean): Promise<void> {
    const s = this.service;
    // Calls made before end() wait for open(): let them reach the driver first (the driver
    // runs them before it closes, as mysql2 and pg do for calls queued before end()).
    if (waitOpen && this.opening) await this.opening.catch(() => undefined);
    s.closing = true;
    await Promise.allSettled(this.plugins.map((p) => (p.release ? p.release() : Promise.resolve())));
    const conn = s.detachCurrent();
    if (conn !== undefined) {
      if (abort) conn.abort();
      else await conn.close();
    }
    s.releaseProvider();
    this.releaseLogger?.();
    this.releaseLogger = undefined;
  }
}
