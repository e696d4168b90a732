// AH_PLUGINS=none: the factories an aurora-ha mysql2 module has get `plugins: []` added to their config.
// Only those that exist are returned, so the shims never add a name aurora-ha does not export.
const withNoPlugins = (c) =>
  typeof c === 'string' ? { uri: c, plugins: [] } : { ...(c || {}), plugins: [] };

// a pool cluster's connection configs come in through add([id,] config)
function patchClusterAdd(cluster) {
  if (cluster && typeof cluster.add === 'function') {
    const add = cluster.add;
    cluster.add = function (id, config) {
      if (id !== null && typeof id === 'object') return add.call(this, withNoPlugins(id));
      return add.call(this, id, config === undefined ? config : withNoPlugins(config));
    };
  }
  return cluster;
}

const wrappers = new Map(); // one wrapper per aurora-ha function (named export and default's member stay identical)
const once = (fn, make) => {
  if (!wrappers.has(fn)) wrappers.set(fn, make(fn));
  return wrappers.get(fn);
};
const FACTORIES = {
  createConnection: (f) =>
    function createConnection(config, ...rest) {
      return f.call(this, withNoPlugins(config), ...rest);
    },
  createPool: (f) =>
    function createPool(config, ...rest) {
      return f.call(this, withNoPlugins(config), ...rest);
    },
  createPoolCluster: (f) =>
    function createPoolCluster(...args) {
      return patchClusterAdd(f.apply(this, args));
    },
};
export const FACTORY_NAMES = Object.keys(FACTORIES);

export function noPluginOverrides(mod) {
  const o = {};
  for (const [name, make] of Object.entries(FACTORIES))
    if (typeof mod[name] === 'function') o[name] = once(mod[name], make);
  return o;
}
