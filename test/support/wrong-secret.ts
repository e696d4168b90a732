/**
 * A secret key that is certainly wrong, for tests of refused signatures: the real one with its
 * first character changed to a different one. The secret is random, and a fixed replacement
 * ('x' before) equals the real first character once in 64 runs, which signed a valid token (CI of
 * cfeb8b4: iam-postgres "expected the login to be refused").
 */
export function otherSecret(secret: string): string {
  return `${secret.startsWith('x') ? 'y' : 'x'}${secret.slice(1)}`;
}
