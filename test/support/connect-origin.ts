/**
 * Who made a socket connect, told by its call stack, for the ORM failover children's connect
 * accounting: failover2's topology monitor (shared by every pool of a process; its probes run in
 * the async context of whichever connection reported the failure first), host monitoring's probe
 * (one per monitored instance, shared the same way), or someone else.
 */

/** Whether the connect being made comes from the topology monitor (src/topology/ on the stack). */
export function fromMonitor(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return /[\\/]src[\\/]topology[\\/]/.test(stack);
}

/** Whether the connect being made is a host-monitoring probe (src/plugins/host-monitoring/ on the stack). */
export function fromHostProbe(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return /[\\/]src[\\/]plugins[\\/]host-monitoring[\\/]/.test(stack);
}
