/**
 * Plugin `secretsManager` (AWS code `secretsManager`): database credentials from AWS Secrets
 * Manager. It takes part in no pipeline; it contributes the credential source every connect
 * of the connection asks (secrets-source.ts).
 */
import type { PluginFactory } from '../../connection/plugin.js';
import { createSecretsSource, type SecretsDeps } from './secrets-source.js';

/** The factory with injected dependencies (a package loader, a clock, a read bound): tests. */
export function makeSecretsManagerPluginFactory(deps: SecretsDeps = {}): PluginFactory {
  return {
    code: 'secretsManager',
    aliases: [],
    // Outermost: it wraps no call, so its place only orders the docs.
    weight: 50,
    create: () => ({ code: 'secretsManager', subscribes: [] }),
    credentials: (config, driver) => createSecretsSource(config, driver, deps),
  };
}

export const secretsManagerPluginFactory: PluginFactory = makeSecretsManagerPluginFactory();
