/**
 * What the AWS credential plugins (`iam`, `secretsManager`) share: loading an optional AWS SDK
 * package lazily (missing → ConfigurationError naming it), the AWS credentials option, the
 * region of an RDS host name, and the typed error for an AWS call that failed or timed out.
 */
import { requireOptional } from '../core/require-optional.js';
import { AuroraHaError, ConfigurationError } from '../core/errors.js';
import type { AwsCredentialsOption, ResolvedOptions } from '../core/wrapper-options.js';
import { parseRdsHost } from '../topology/rds-url.js';

/** An AWS call the credentials need (sign a token, read a secret) failed or did not answer in time. */
export class CredentialsUnavailableError extends AuroraHaError {
  /** The option that points at what failed (`secretEndpoint`, `secretId`, `iamRegion`, …). */
  readonly option: string;
  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super('CREDENTIALS_UNAVAILABLE', message, options);
    this.option = option;
  }
}

/** Loads a package by name; injectable so tests can simulate a missing one. */
export type PackageLoader = (name: string) => unknown;

/** `require(name)` from aurora-ha's own location, then from the working directory. */
export const requirePackage: PackageLoader = requireOptional;

/** `load(name)`, or a ConfigurationError naming the package and the plugin that needs it. */
export function loadOptional(load: PackageLoader, name: string, plugin: string): unknown {
  try {
    return load(name);
  } catch (err) {
    throw new ConfigurationError(
      'plugins',
      `Plugin \`${plugin}\` needs the package ${name}, which is not installed: npm install ${name}`,
      [name],
      { cause: err },
    );
  }
}

/** The AWS region of an RDS host name, if it is one. */
export function regionOfHost(host: string): string | undefined {
  return parseRdsHost(host)?.region;
}

/** The region of a Secrets Manager ARN (`arn:aws:secretsmanager:<region>:<account>:secret:<name>`). */
export function regionOfArn(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(arn);
  return m?.[1];
}

/** The SDK client / signer settings for the credentials options (the default chain when unset). */
export function awsClientSettings(options: ResolvedOptions): {
  credentials?: AwsCredentialsOption;
  profile?: string;
} {
  return {
    ...(options.awsCredentialsProvider !== undefined ? { credentials: options.awsCredentialsProvider } : {}),
    ...(options.awsProfile !== undefined ? { profile: options.awsProfile } : {}),
  };
}

/** Clock of the credential caches; injectable for tests. */
export type Clock = () => number;
