/**
 * Process-unique ids of logical connections, as the `connectionId` of the channels' payloads
 * and of log lines: 1, 2, 3 … in creation order. A number, never reused within a process.
 */
let last = 0;

export function nextConnectionId(): number {
  return ++last;
}
