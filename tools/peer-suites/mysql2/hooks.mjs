// ESM resolve hook (registered after tsx, so it runs first):
// * aurora-ha's build importing `mysql2` / `mysql2/...` gets the checkout (one mysql2 in the process);
// * with AH_PLUGINS set, the test files' imports of the checkout's index.js / promise.js get the
//   generated shims (<AH_SHIM_DIR>/mysql2.mjs, mysql2-promise.mjs) over aurora-ha's ESM build.
let mode, M2, AH_BUILD, SHIMS;
export async function initialize(data) {
  ({ mode, m2: M2, ahBuild: AH_BUILD, shims: SHIMS } = data);
}
export async function resolve(specifier, context, next) {
  const parent = context.parentURL || '';
  if (parent.startsWith(AH_BUILD) && (specifier === 'mysql2' || specifier.startsWith('mysql2/')))
    // resolved as the checkout resolves its own name (its package.json "exports")
    return next(specifier, { ...context, parentURL: M2 + 'package.json' });
  const r = await next(specifier, context);
  if (mode && parent.startsWith(M2 + 'test/')) {
    if (r.url === M2 + 'index.js') return { url: SHIMS + 'mysql2.mjs', format: 'module', shortCircuit: true };
    if (r.url === M2 + 'promise.js')
      return { url: SHIMS + 'mysql2-promise.mjs', format: 'module', shortCircuit: true };
  }
  return r;
}
