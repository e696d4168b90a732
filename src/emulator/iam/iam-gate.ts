/**
 * The IAM login gate of one emulated cluster, shared by both engines (PostgreSQL's LDAP
 * responder, MySQL's metadata proxy): a token is accepted when it verifies (SigV4, `rds-db`,
 * the cluster's test account, one of the cluster's names on its port, the IAM user, not older
 * than `iamTokenTtlMs`) and the optional `iamLoginsPerSecond` throttle lets it through; counts
 * accepted, refused (by reason) and throttled logins. Tokens are never kept or logged.
 */
import type { IamStats } from '../types.js';

/** Why a token was refused: the verifier's reasons, or the gate's own. */
export type IamGateRefusal = string;

export type IamGateVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: IamGateRefusal };

/** What the verifier is given (the shape of aws/iam-token.ts's IamTokenExpectation). */
export interface IamGateExpectation<A> {
  readonly hostNames: readonly string[];
  readonly port: number;
  readonly user: string;
  readonly account: A;
  readonly maxAgeMs?: number;
  readonly now?: number;
}

/** aws/iam-token.ts's `verifyIamToken` (never throws). */
export type IamTokenVerifier<A> = (
  token: string,
  expect: IamGateExpectation<A>,
) => { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly detail: string };

/** Where the cluster's clients connect: filled in once the address plan is known. */
export interface IamGateTarget {
  readonly port: number;
  /** Every RDS name of the cluster right now (instances, cluster, reader, custom endpoints). */
  hostNames(): readonly string[];
}

export interface IamGateOptions<A> {
  readonly account: A;
  /** The database user that logs in with tokens. */
  readonly user: string;
  /** `iamTokenTtlMs`: the emulator's cap on a token's age. */
  readonly ttlMs: number;
  /** `iamLoginsPerSecond`: new IAM logins per second per cluster; undefined = no throttle. */
  readonly loginsPerSecond: number | undefined;
  readonly verify: IamTokenVerifier<A>;
  /** Clock (tests). Default Date.now. */
  readonly now?: () => number;
}

/** The throttle's sliding window: at most `iamLoginsPerSecond` logins in any such span. */
export const IAM_GATE_WINDOW_MS = 1000;
const WINDOW_MS = IAM_GATE_WINDOW_MS;

export class IamGate<A> {
  private target: IamGateTarget | undefined;
  /** Times of the logins let through in the last second (at most loginsPerSecond entries). */
  private readonly recent: number[] = [];
  private accepted = 0;
  private throttled = 0;
  private readonly refused = new Map<string, number>();

  constructor(private readonly options: IamGateOptions<A>) {}

  get user(): string {
    return this.options.user;
  }

  /** Set where clients connect (before any login can arrive). */
  attach(target: IamGateTarget): void {
    this.target = target;
  }

  /**
   * Decide one IAM login of `user` with `token` arriving on `port` (the port the client
   * connected to). Never throws.
   */
  check(token: string, user: string, port: number): IamGateVerdict {
    const now = (this.options.now ?? Date.now)();
    const target = this.target;
    if (!target) return this.refuse('not-ready');
    if (!this.admit(now)) {
      this.throttled++;
      return { ok: false, reason: 'throttled' };
    }
    if (user !== this.options.user) return this.refuse('wrong-user');
    if (port !== target.port) return this.refuse('wrong-port');
    let verdict: ReturnType<IamTokenVerifier<A>>;
    try {
      verdict = this.options.verify(token, {
        hostNames: target.hostNames(),
        port: target.port,
        user,
        account: this.options.account,
        maxAgeMs: this.options.ttlMs,
        now,
      });
    } catch {
      return this.refuse('malformed');
    }
    if (!verdict.ok) return this.refuse(verdict.reason);
    this.accepted++;
    return { ok: true };
  }

  /** The throttle: true when this login fits in the last second's allowance (and counts it). */
  private admit(now: number): boolean {
    const limit = this.options.loginsPerSecond;
    if (limit === undefined) return true;
    while (this.recent.length > 0 && (this.recent[0] as number) <= now - WINDOW_MS) this.recent.shift();
    if (this.recent.length >= limit) return false;
    this.recent.push(now);
    return true;
  }

  /** Count a login refused before it reached the gate (e.g. an unknown instance). */
  refuse(reason: string): IamGateVerdict {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    return { ok: false, reason };
  }

  stats(): IamStats {
    const refused: Record<string, number> = {};
    let total = 0;
    for (const [reason, n] of this.refused) {
      refused[reason] = n;
      total += n;
    }
    return { accepted: this.accepted, refused, refusedTotal: total, throttled: this.throttled };
  }
}

/** The counters of a cluster without IAM. */
export const NO_IAM_STATS: IamStats = Object.freeze({
  accepted: 0,
  refused: Object.freeze({}),
  refusedTotal: 0,
  throttled: 0,
});
