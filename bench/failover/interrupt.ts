/**
 * Ctrl-C / SIGTERM for the demo and the benchmark: the first signal aborts the run so it can
 * stop its cluster; later ones (a terminal delivers Ctrl-C to npm, tsx and node alike, and tsx
 * relays it again) are absorbed until cleanup is done, instead of killing the process mid-way.
 */

export interface Interrupt {
  readonly signal: AbortSignal;
  /** Stop listening (when the run has cleaned up). */
  dispose(): void;
}

export function listenForInterrupt(tool: string): Interrupt {
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) return;
    console.error(`\n${tool}: interrupted, stopping the cluster…`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    dispose() {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}
