/**
 * Everything `iam: true` adds to one cluster, in one owner: the test AWS account, the IAM gate
 * (iam-gate.ts), and the engine's way in — PostgreSQL's LDAP responder (pg_hba sends the
 * `rds_iam` members' TLS logins to it; the bind DN is `<user>@<instance id>`), MySQL's login
 * check for the metadata proxy (the IAM user's real password stays here). Closed by the cluster.
 */
import { randomBytes } from 'node:crypto';
import { createTestAwsAccount, type TestAwsAccount } from '../aws/test-account.js';
import { verifyIamToken } from '../aws/iam-token.js';
import type { EmulatedEngine } from '../engine.js';
import type { MysqlIamLogin } from '../mysql/mysql-iam-login.js';
import { LdapResponder } from '../postgres/ldap-responder.js';
import type { IamStats } from '../types.js';
import { IamGate, type IamGateTarget } from './iam-gate.js';

/** The database user of `cluster.iamUser`. */
export const IAM_USER = 'aurora_iam_user';

export interface ClusterIamOptions {
  readonly engine: EmulatedEngine;
  /** The test account's region (the cluster's `region`). */
  readonly region: string;
  readonly ttlMs: number;
  readonly loginsPerSecond: number | undefined;
}

/** Where clients connect, and which instance ids exist (the LDAP bind names one). */
export interface ClusterIamTarget extends IamGateTarget {
  hasInstance(id: string): boolean;
}

export class ClusterIam {
  readonly user = IAM_USER;
  private target: ClusterIamTarget | undefined;
  /** MySQL: the IAM user's real password, which the proxy logs in upstream with (never shown by util.inspect). */
  readonly #upstreamPassword: string;

  private constructor(
    readonly account: TestAwsAccount,
    private readonly gate: IamGate<TestAwsAccount>,
    private readonly ldap: LdapResponder | undefined,
    upstreamPassword: string,
  ) {
    this.#upstreamPassword = upstreamPassword;
  }

  /** Create the account and gate; on PostgreSQL, start the LDAP responder. */
  static async create(options: ClusterIamOptions): Promise<ClusterIam> {
    const account = createTestAwsAccount(options.region);
    const gate = new IamGate<TestAwsAccount>({
      account,
      user: IAM_USER,
      ttlMs: options.ttlMs,
      loginsPerSecond: options.loginsPerSecond,
      verify: verifyIamToken,
    });
    // the responder's callback reaches the ClusterIam made once the responder listens
    const late: { iam?: ClusterIam } = {};
    const ldap =
      options.engine === 'postgres'
        ? await LdapResponder.start({
            verify: (dn, password) => late.iam?.checkLdapBind(dn, password) ?? false,
          })
        : undefined;
    late.iam = new ClusterIam(account, gate, ldap, randomBytes(24).toString('base64url'));
    return late.iam;
  }

  /** What the engine backend needs: PostgreSQL the LDAP responder's port, MySQL the proxy's login check. */
  backendOptions(): { ldapPort: number } | { mysqlLogin: MysqlIamLogin } {
    return this.ldap ? { ldapPort: this.ldap.port } : { mysqlLogin: this.mysqlLogin() };
  }

  /** Called once the cluster knows its names and port; logins are refused until then. */
  attach(target: ClusterIamTarget): void {
    this.target = target;
    this.gate.attach(target);
  }

  /** A simple bind from PostgreSQL: DN `<user>@<instance id>`, password the token. */
  private checkLdapBind(dn: string, token: string): boolean {
    const at = dn.lastIndexOf('@');
    const target = this.target;
    if (at <= 0 || !target || !target.hasInstance(dn.slice(at + 1)))
      return this.gate.refuse('unknown-instance').ok;
    return this.gate.check(token, dn.slice(0, at), target.port).ok;
  }

  /** MySQL: what the metadata proxy of every instance checks IAM logins with. */
  private mysqlLogin(): MysqlIamLogin {
    return {
      user: this.user,
      upstreamPassword: this.#upstreamPassword,
      verify: (token, port) => {
        const verdict = this.gate.check(token, this.user, port);
        return verdict.ok ? { ok: true } : { ok: false, reason: verdict.reason };
      },
    };
  }

  stats(): IamStats {
    return this.gate.stats();
  }

  close(): Promise<void> {
    return this.ldap?.close() ?? Promise.resolve();
  }
}
