/**
 * The contract between the cluster (which knows the IAM user, its real password and how tokens
 * are verified) and the MySQL metadata proxy (which enforces IAM logins for that user over TLS).
 */

export interface MysqlIamLogin {
  /** The database user that logs in with IAM tokens only (the proxy switches it to mysql_clear_password). */
  readonly user: string;
  /** The real password the proxy logs in upstream with, once the token is accepted. */
  readonly upstreamPassword: string;
  /** Verify a token a client sent over TLS to the proxy listening on `port`; false/reason = ERR 1045. */
  verify(
    token: string,
    port: number,
  ): { readonly ok: true } | { readonly ok: false; readonly reason: string };
}
