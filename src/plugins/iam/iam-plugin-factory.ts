/**
 * Plugin `iam` (AWS code `iam`): IAM database authentication. It takes part in no pipeline;
 * it contributes the credential source every connect of the connection asks (iam-source.ts).
 */
import type { PluginFactory } from '../../connection/plugin.js';
import { createIamSource, type IamDeps } from './iam-source.js';

/** The factory with injected dependencies (a package loader, a clock): tests. */
export function makeIamPluginFactory(deps: IamDeps = {}): PluginFactory {
  return {
    code: 'iam',
    aliases: [],
    // Outermost: it wraps no call, so its place only orders the docs.
    weight: 50,
    create: () => ({ code: 'iam', subscribes: [] }),
    credentials: (config, driver) => createIamSource(config, driver, deps),
  };
}

export const iamPluginFactory: PluginFactory = makeIamPluginFactory();
