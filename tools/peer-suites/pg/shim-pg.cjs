'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, loaded by node itself (node -r / require) */
// Stands in for the suite's pg module when AH_PLUGINS is set: everything aurora-ha/pg exports, as a
// CommonJS consumer gets it (package.json "exports" -> "./pg" -> require).
//   AH_PLUGINS=none    : the constructors it has (Client, Pool) add `plugins: []` to their config
//   AH_PLUGINS=default : nothing is overridden (aurora-ha's default plugins)
const { ahEntry } = require('../lib/ah-entry.cjs');
const ah = require(ahEntry(process.env.AH_DIR, './pg', 'require'));

const withNoPlugins = (config) => {
  if (config === undefined || config === null) return { plugins: [] };
  if (typeof config === 'string') return { connectionString: config, plugins: [] };
  return Object.assign({}, config, { plugins: [] });
};
// one wrapper per aurora-ha class, so that mod.Client === mod.default.Client still holds
const wrappers = new Map();
function noPluginOverrides(mod) {
  const o = {};
  for (const name of ['Client', 'Pool']) {
    const Base = mod[name];
    if (typeof Base !== 'function') continue;
    if (!wrappers.has(Base))
      // keeps the class name; instanceof the aurora-ha class still holds
      wrappers.set(
        Base,
        {
          [name]: class extends Base {
            constructor(config, ...rest) {
              super(withNoPlugins(config), ...rest);
            }
          },
        }[name],
      );
    o[name] = wrappers.get(Base);
  }
  return o;
}

const none = process.env.AH_PLUGINS === 'none';
const mod = Object.assign({}, ah, none ? noPluginOverrides(ah) : {});
if ('default' in ah) {
  const d = ah.default;
  mod.default = none && d && typeof d === 'object' ? Object.assign({}, d, noPluginOverrides(d)) : d;
}
module.exports = mod;
