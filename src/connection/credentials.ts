/**
 * The one credentials hook at connect time. A plugin factory may contribute a
 * `CredentialSource` (`PluginFactory.credentials`); the logical connection then wraps its
 * driver adapter once (`withCredentialSource`), so every physical connection opened through
 * that adapter — the user's, initial-connection retries, failover reconnects, the failover2
 * topology monitor, host-monitoring probes, the response-time monitor, pool refills (new
 * logical connections) — asks the source for `{ user, password }` for the host actually
 * connected to just before it connects. A login refusal (`classify(err) === 'login'`) lets the
 * source refresh and the connect retry, a bounded number of times with jittered backoff; what
 * is still refused at the end is the driver's own authentication error, never more.
 * Without a credential plugin nothing is wrapped, so nothing here runs or allocates.
 */
import type { ResolvedConfig } from '../core/wrapper-options.js';
import { backoffMs, pause } from '../core/time.js';
import type { ConnectOptions, DriverAdapter, ErrorKind, PhysicalConnection } from '../drivers/driver.js';
import type { HostInfo } from '../drivers/host-info.js';
import type { ConnectPurpose } from '../observe/channels.js';
import { configuredUser } from './credentials-config.js';

/** What a source contributes to one connect; absent fields keep the driver config's own. */
export interface Credentials {
  readonly user?: string;
  readonly password?: string;
  /** Other driver keys the credentials need (mysql2 `enableCleartextPlugin` for IAM tokens). */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
}

/** One connect asking for credentials. */
export interface CredentialRequest {
  /** The host actually connected to (instance, endpoint or address), with its port. */
  readonly host: HostInfo;
  /** Why aurora-ha opens it (as published on `aurora-ha:connect`). */
  readonly purpose: ConnectPurpose;
  /**
   * The name the server's certificate carries when `host` is an address (a probe of the
   * instance behind an endpoint: ConnectOptions.tlsServerName); tokens are signed for it.
   */
  readonly serverName: string | undefined;
  /** The database user of the driver config (`user`, or the connection string's), if any. */
  readonly user: string | undefined;
  /** The connect's own cancellation, when it has one. */
  readonly signal: AbortSignal | undefined;
}

/** How often and how patiently a refused login is retried after `refused()` said to. */
export interface LoginRetryPolicy {
  /** Retries after the first refusal (0: none). */
  readonly retries: number;
  /** Pause before retry n: `baseMs` doubling up to `maxMs`, × a random factor in [low, high). */
  readonly baseMs: number;
  readonly maxMs: number;
  readonly low: number;
  readonly high: number;
}

export interface CredentialSource {
  /** The plugin code (messages). */
  readonly code: string;
  readonly retry: LoginRetryPolicy;
  /** Credentials for this connect, now (cached or fresh: the source decides). */
  credentials(request: CredentialRequest): Promise<Credentials>;
  /**
   * A login with `refused` was refused: make later `credentials()` calls return fresher ones
   * (connections refused together share one refresh). Resolves false when nothing fresher can
   * come: the driver's error is final.
   */
  refused(request: CredentialRequest, refused: Credentials): Promise<boolean>;
}

/** What a plugin factory implements to contribute a source (validated when the connection is made). */
export type CredentialSourceMaker = (config: ResolvedConfig, driver: DriverAdapter) => CredentialSource;

/** The driver config with `creds` applied wherever the driver reads them (URLs included). */
export function applyCredentials<T>(driver: DriverAdapter<T>, driverConfig: T, creds: Credentials): T {
  if (creds.user === undefined && creds.password === undefined && creds.driverOptions === undefined) {
    return driverConfig;
  }
  const change: Record<string, unknown> = { ...creds.driverOptions };
  if (creds.user !== undefined) change.user = creds.user;
  if (creds.password !== undefined) change.password = creds.password;
  return (
    driver.withCredentials?.(driverConfig, change) ??
    ({ ...(driverConfig as Record<string, unknown>), ...change } as T)
  );
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function same(a: Credentials, b: Credentials): boolean {
  return a === b || (a.user === b.user && a.password === b.password);
}

/** `ms` (unref'd), or less when `signal` fires. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal !== undefined) return pause(ms, signal);
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * `driver` asking `source` for credentials before every connect. One per logical connection
 * (the LogicalConnection constructor); monitors created by that connection keep it (same
 * config, same source).
 */
export function withCredentialSource<T, N>(
  driver: DriverAdapter<T, N>,
  source: CredentialSource,
): DriverAdapter<T, N> {
  const connect = async (host: HostInfo, driverConfig: T, options?: ConnectOptions) => {
    const signal = options?.signal;
    const started = Date.now();
    const bound = options?.timeoutMs;
    const request: CredentialRequest = {
      host,
      purpose: options?.purpose ?? 'user',
      serverName: options?.tlsServerName,
      user: configuredUser(driver.engine, driverConfig),
      signal,
    };
    let creds = await source.credentials(request);
    for (let attempt = 0; ; attempt++) {
      const left = bound === undefined ? undefined : bound - (Date.now() - started);
      const opts: ConnectOptions | undefined =
        left === undefined || attempt === 0 ? options : { ...options, timeoutMs: Math.max(1, left) };
      try {
        return await driver.connect(host, applyCredentials(driver, driverConfig, creds), opts);
      } catch (err) {
        if (driver.classify(err) !== 'login' || attempt >= source.retry.retries) throw err;
        if (aborted(signal)) throw err;
        if (!(await source.refused(request, creds))) throw err;
        let next = await source.credentials(request);
        // Fresher credentials are tried at once; otherwise pause (jittered), then let the source
        // refresh again right before the retry, so the retry uses what is current then.
        if (same(next, creds)) {
          const r = source.retry;
          const wait = backoffMs(attempt, r.baseMs, r.maxMs, r.low, r.high);
          // A connect with a bound keeps it: no retry that would end past it.
          if (bound !== undefined && Date.now() - started + wait >= bound) throw err;
          await delay(wait, signal);
          if (aborted(signal)) throw err;
          if (!(await source.refused(request, next))) throw err;
          next = await source.credentials(request);
        }
        creds = next;
      }
    }
  };
  const wrapped: DriverAdapter<T, N> = {
    engine: driver.engine,
    defaultPort: driver.defaultPort,
    connect,
    classify: (err: unknown, conn?: PhysicalConnection<N>): ErrorKind => driver.classify(err, conn),
    readSessionState: (conn) => driver.readSessionState(conn),
    restoreSessionState: (conn, state) => driver.restoreSessionState(conn, state),
  };
  if (driver.withCredentials !== undefined) {
    const own = driver.withCredentials.bind(driver);
    wrapped.withCredentials = own;
  }
  return wrapped;
}
