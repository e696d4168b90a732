/**
 * Typed errors of aurora-ha. Every error names the option or host concerned, keeps the
 * driver's original error as `cause`, and never carries a password.
 */

export class AuroraHaError extends Error {
  /** Stable machine-readable code, e.g. `FAILOVER_SUCCESS`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Base class of the three failover outcomes (ARCHITECTURE.md › Failover outcomes). */
export abstract class FailoverError extends AuroraHaError {}

/**
 * The connection failed outside a transaction and the logical connection now holds a
 * working physical connection to another instance. Session state is lost unless
 * `keepSessionStateOnFailover` was set; repeat the last statement.
 */
export class FailoverSuccessError extends FailoverError {
  /** The host the connection now uses (`host:port`). */
  readonly newHost: string;
  /**
   * False when the statement never reached a server: the connection was found lost before the
   * call was sent (an idle loss, ARCHITECTURE.md › Idle loss). Safe to repeat even when it is not idempotent;
   * `pool.query()` retries such a call once by itself. True when it may have run.
   */
  readonly statementSent: boolean;
  constructor(newHost: string, options?: { cause?: unknown; statementSent?: boolean }) {
    super(
      'FAILOVER_SUCCESS',
      `The active connection failed and was replaced by a connection to ${newHost}. Repeat the last statement.`,
      options,
    );
    this.newHost = newHost;
    this.statementSent = options?.statementSent ?? true;
  }
}

/**
 * The connection failed inside a transaction. A rollback was attempted and the logical
 * connection now holds a working physical connection; restart the whole transaction.
 */
export class TransactionResolutionUnknownError extends FailoverError {
  readonly newHost: string;
  /** False when the failing statement itself never reached a server (see FailoverSuccessError). */
  readonly statementSent: boolean;
  constructor(newHost: string, options?: { cause?: unknown; statementSent?: boolean }) {
    super(
      'TRANSACTION_RESOLUTION_UNKNOWN',
      `The active connection failed during a transaction and was replaced by a connection to ${newHost}. The transaction's outcome is unknown: restart it.`,
      options,
    );
    this.newHost = newHost;
    this.statementSent = options?.statementSent ?? true;
  }
}

/** Failover could not find a usable instance within `failoverTimeoutMs`; the connection is unusable. */
export class FailoverFailedError extends FailoverError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('FAILOVER_FAILED', `Failover failed: ${reason}`, options);
  }
}

/** A wrapper option has a wrong type, is out of range or is unknown. */
export class ConfigurationError extends AuroraHaError {
  /** The option at fault, with its canonical name. */
  readonly option: string;
  /** The accepted values or range, when there is a closed set. */
  readonly accepted: readonly string[] | undefined;
  constructor(option: string, message: string, accepted?: readonly string[], options?: { cause?: unknown }) {
    super('CONFIGURATION', message, options);
    this.option = option;
    this.accepted = accepted;
  }
}

/** No host suitable for the request could be reached. */
export class UnavailableHostError extends AuroraHaError {
  readonly host: string;
  constructor(host: string, message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE_HOST', message, options);
    this.host = host;
  }
}

/** Operation on a logical connection that was ended or failed beyond repair. */
export class ConnectionClosedError extends AuroraHaError {
  constructor(message = 'The connection is closed.', options?: { cause?: unknown }) {
    super('CONNECTION_CLOSED', message, options);
  }
}

/**
 * The installed driver (pg or mysql2) is older than the oldest version aurora-ha can drive:
 * thrown when a Client, Pool or connection is created, naming the version found.
 */
export class UnsupportedDriverError extends AuroraHaError {
  /** The driver's package name, e.g. `pg`. */
  readonly driver: string;
  /** The version found (or 'of unknown version'). */
  readonly found: string;
  /** The oldest version aurora-ha supports. */
  readonly required: string;
  constructor(driver: string, found: string, required: string) {
    super(
      'UNSUPPORTED_DRIVER',
      `aurora-ha needs ${driver} >= ${required}; found ${driver} ${found}. Upgrade it: npm install ${driver}@^${required}`,
    );
    this.driver = driver;
    this.found = found;
    this.required = required;
  }
}

/**
 * `setReadOnly` of the `readWriteSplitting` plugin refused or could not switch (docs/read-scaling.md
 * › setReadOnly). `code` says why:
 * - `READ_ONLY_IN_TRANSACTION`: called inside a transaction (nothing switched; commit or roll back first);
 * - `READ_ONLY_BAD_ARGUMENT`: the argument is not a boolean;
 * - `READ_ONLY_NO_READER`: no reader could be reached and `failoverMode` is `strict-reader`;
 * - `READ_ONLY_SWITCH_FAILED`: the writer could not be reached to switch back, or the session
 *   state (`transferSessionStateOnSwitch`) could not be applied on the side switched to;
 * - `READ_ONLY_NOT_ENABLED`: `readWriteSplitting` is not in `plugins`.
 * The connection stays usable on the side it was on.
 */
export class ReadWriteSplittingError extends AuroraHaError {
  /** The option or method concerned (`setReadOnly`, `failoverMode`, `plugins`). */
  readonly option: string;
  constructor(
    code:
      | 'READ_ONLY_IN_TRANSACTION'
      | 'READ_ONLY_BAD_ARGUMENT'
      | 'READ_ONLY_NO_READER'
      | 'READ_ONLY_SWITCH_FAILED'
      | 'READ_ONLY_NOT_ENABLED',
    option: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.option = option;
  }
}
