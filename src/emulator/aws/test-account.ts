/**
 * The emulator's throw-away AWS account: random access keys per cluster, which the AWS-API server
 * and the IAM token verifier accept and nothing real does. The secret key is readable (clients
 * must sign with it) but hidden from `util.inspect` and `JSON.stringify`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { ConfigurationError } from '../../core/errors.js';

export interface TestAwsAccount {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly accountId: string;
}

export const DEFAULT_TEST_REGION = 'us-east-1';

/** Region names as AWS spells them (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (const byte of randomBytes(length)) out += alphabet[byte % alphabet.length];
  return out;
}

/**
 * A new account with random keys: `AKIA` + 16 base-32 characters like a real access key id (so
 * client-side checks of the shape pass), a 40-character secret, a 12-digit account id.
 */
export function createTestAwsAccount(region: string = DEFAULT_TEST_REGION): TestAwsAccount {
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new ConfigurationError(
      'region',
      `The test AWS account's region must be an AWS region name such as 'us-east-1' (got ${JSON.stringify(String(region)).slice(0, 40)}).`,
    );
  }
  const accountId =
    String(randomInt(1, 10)) +
    String(randomInt(0, 100_000)).padStart(5, '0') +
    String(randomInt(0, 1_000_000)).padStart(6, '0');
  const account = {
    region,
    accessKeyId: `AKIA${randomString(BASE32, 16)}`,
    secretAccessKey: randomString(SECRET_ALPHABET, 40),
    accountId,
  };
  const shown = (): Record<string, string> => ({
    region: account.region,
    accessKeyId: account.accessKeyId,
    secretAccessKey: '***',
    accountId: account.accountId,
  });
  // Non-enumerable, so a spread copy carries the four fields and nothing else.
  Object.defineProperty(account, Symbol.for('nodejs.util.inspect.custom'), { value: shown });
  Object.defineProperty(account, 'toJSON', { value: shown });
  return Object.freeze(account);
}
