/**
 * Child process of the overhead benchmark: measures heap bytes per open connection of one
 * variant in a clean process (no emulator, no other clients in the heap). Started with
 * `--expose-gc`; argument: JSON `{ engine, kind, count, target, pattern }`; prints JSON
 * `{ marginal, withOneTime }` (bytes per connection, see measure.ts) on stdout.
 */
import type { EmulatedCluster } from '../../src/emulator.js';
import { heapPerConnection } from './measure.js';
import type { Target, VariantKind } from './variants.js';
import { mysqlVariant, pgVariant } from './variants.js';

interface Args {
  engine: 'postgres' | 'mysql';
  kind: VariantKind;
  count: number;
  target: Target;
  pattern: string;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  // The variants only read the instance pattern from the cluster.
  const cluster = { instanceHostPattern: args.pattern } as EmulatedCluster;
  const variant =
    args.engine === 'postgres'
      ? pgVariant(cluster, args.target, args.kind)
      : mysqlVariant(cluster, args.target, args.kind);
  const heap = await heapPerConnection(variant, args.count);
  process.stdout.write(`${JSON.stringify(heap)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
