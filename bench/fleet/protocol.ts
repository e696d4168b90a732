/**
 * What bench:fleet's parent (the emulator's process) and its attached application processes
 * (child.ts) say to each other: one JSON object a line, commands on the child's stdin, replies
 * on its stdout. Times are ms since the epoch (the same machine, the same clock).
 */
import type { AuroraOptions, ClientFamily, Engine, WriteTarget } from '../failover/write-clients.js';
import type { Pacing } from '../failover/worker-loop.js';

/** How a child is started (its argv[2], JSON). */
export interface ChildSpec {
  index: number;
  engine: Engine;
  family: ClientFamily;
  options: AuroraOptions;
  /** The writer cluster endpoint by name (resolved through the attach module). */
  target: WriteTarget;
  connections: number;
  pacing: Pacing;
}

export type Command =
  /** Open the connections `batch` at a time (each batch once the previous one wrote), bounded by `boundMs`. */
  | { cmd: 'warm'; batch: number; boundMs: number }
  /** How many connections wrote after `since`. */
  | { cmd: 'status'; since: number }
  /** Stop the workers and report everything from `faultAt` on. */
  | { cmd: 'stop'; faultAt: number; promotedAt: number | undefined }
  /** Open `n` fresh plain connections at once to `host` and write once on each. */
  | { cmd: 'baseline'; host: string; n: number };

/** One aurora-ha:connect start seen in a child: purpose, `host:port`, time. */
export interface ConnectEvent {
  p: string;
  h: string;
  t: number;
}

export interface StopReport {
  e: 'stopped';
  /** Per connection: first good write after the fault (undefined: not ready, or not recovered). */
  firstSuccessAfter: (number | null)[];
  lastSuccessBefore: (number | null)[];
  notReady: number;
  unrecovered: number;
  errors: Record<string, number>;
  /** connect() calls to the cluster's port from this process, from the fault on. */
  connectTimes: number[];
  /** aurora-ha:connect starts from the fault on. */
  connectEvents: ConnectEvent[];
  /** Statements other than the bench's writes (aurora-ha's own), from the fault on: host, time. */
  queries: { h: string; t: number }[];
  /** Per aurora-ha:failover trace that ended: ms spent in each phase (search, reconnect, restore …). */
  failoverPhases: Record<string, number>[];
  /** failover2 monitor entered panic / verified a writer (aurora-ha:monitor), from the fault on. */
  panicAt: number[];
  verifiedAt: number[];
}

export type Reply =
  | { e: 'ready'; ready: number; ms: number }
  | { e: 'status'; recovered: number; ready: number }
  | StopReport
  | { e: 'baseline'; times: number[]; failed: number; startedAt: number; endedAt: number }
  | { e: 'fatal'; message: string };
