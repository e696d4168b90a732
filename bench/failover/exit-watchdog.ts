/**
 * After the demo or the benchmark has cleaned up, the process should exit by itself. If
 * something still holds the event loop (a socket or timer nobody closed), say what, then exit.
 * The watchdog's own timer is unref'd: it fires only when something else keeps Node alive.
 */

/** Count of each active resource type, e.g. `TCPSocketWrap ×3, Timeout ×1`. */
function activeResources(): string {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${r} ×${n}`).join(', ');
}

export function exitWatchdog(tool: string, graceMs = 5000): void {
  setTimeout(() => {
    console.error(`${tool}: still running ${graceMs / 1000} s after cleanup (${activeResources()}); exiting`);
    process.exit(process.exitCode ?? 1);
  }, graceMs).unref();
}
