/**
 * The log lines of process-wide events (connects, topology changes, the failover2 monitor's
 * modes, host-monitoring aborts), made from the same messages the channels carry: while a
 * logger is in use by a live connection, or NODE_DEBUG=aurora-ha is on, this module is the
 * channels' in-process tap (channels.ts `setObserveTap`). Each line goes once to every logger
 * in use (a logger shared by many connections counts once) and to NODE_DEBUG. Levels: a
 * changed writer, a monitor's panic / verified writer → info; a host-monitoring abort → warn;
 * the rest (each connect, refreshes, readers, availability) → debug.
 */
import type { AuroraLogger } from '../core/wrapper-options.js';
import {
  setObserveTap,
  type ConnectMessage,
  type MonitorMessage,
  type ObserveTap,
  type TopologyMessage,
} from './channels.js';
import { debugEnabled, writeLine, type LogLevel } from './log.js';

/** Logger → live connections using it. */
const loggers = new Map<AuroraLogger, number>();

function emit(level: LogLevel, line: string): void {
  writeLine(loggers.keys(), level, line);
}

function ms(n: number | undefined): string {
  return n === undefined ? '?' : String(Math.round(n));
}

/** The line of a connect (exported for tests). */
export function connectLine(m: ConnectMessage): string {
  const conn = m.connectionId === undefined ? '' : ` conn ${m.connectionId}`;
  const result =
    m.outcome === 'ok' ? 'ok' : `${m.outcome ?? 'unknown'}${m.errorCode ? ` ${m.errorCode}` : ''}`;
  return `connect ${m.purpose}${conn} ${m.host}: ${result} in ${ms(m.durationMs)} ms`;
}

/** The line and level of a topology message (exported for tests). */
export function topologyLine(m: TopologyMessage): [LogLevel, string] {
  switch (m.event) {
    case 'refreshed':
      return ['debug', `topology ${m.clusterId}: ${m.hosts} hosts`];
    case 'writer-changed':
      return ['info', `topology ${m.clusterId}: writer ${m.before ?? '(none)'} → ${m.after ?? '(none)'}`];
    case 'readers-changed':
      return [
        'debug',
        `topology ${m.clusterId}: readers +[${m.added.join(', ')}] -[${m.removed.join(', ')}] now [${m.readers.join(', ')}]`,
      ];
    case 'availability-changed':
      return ['debug', `topology ${m.clusterId}: ${m.host} ${m.before} → ${m.after}`];
  }
}

/** The line and level of a monitor message (exported for tests). */
export function monitorLine(m: MonitorMessage): [LogLevel, string] {
  switch (m.event) {
    case 'mode':
      return [m.mode === 'panic' ? 'info' : 'debug', `monitor ${m.clusterId}: ${m.mode} mode (${m.reason})`];
    case 'writer-verified':
      return [
        'info',
        `monitor ${m.clusterId}: writer ${m.writer} verified after ${ms(m.searchMs)} ms of search`,
      ];
    case 'host-monitoring-abort':
      return [
        'warn',
        `host monitoring: ${m.host} declared unavailable, ${m.callsAborted} call(s) aborted after ${ms(m.detectionMs)} ms`,
      ];
  }
}

const TAP: ObserveTap = {
  connected(m) {
    emit('debug', connectLine(m));
  },
  topology(m) {
    const [level, line] = topologyLine(m);
    emit(level, line);
  },
  monitor(m) {
    const [level, line] = monitorLine(m);
    emit(level, line);
  },
};

function update(): void {
  setObserveTap(loggers.size > 0 || debugEnabled() ? TAP : undefined);
}
update();

/** A live connection uses `logger` (or none): process-wide lines reach it until the returned release. */
export function useLogger(logger: AuroraLogger | undefined): () => void {
  if (logger === undefined) return NOTHING;
  loggers.set(logger, (loggers.get(logger) ?? 0) + 1);
  update();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const n = (loggers.get(logger) ?? 1) - 1;
    if (n <= 0) loggers.delete(logger);
    else loggers.set(logger, n);
    update();
  };
}

const NOTHING = (): void => undefined;
