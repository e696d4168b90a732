/**
 * How the demo and the benchmark leave once they have stopped their cluster. They exit
 * explicitly: with 200 aurora-ha mysql2 connections, sockets left behind (unref'd, with pending
 * requests) can make Node's own exit-time handle cleanup spin forever after the event loop has
 * ended — no timer can fire there, so only an explicit exit is reliable.
 */

/** Exit with `code` once stdout and stderr have flushed. */
export function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => {
    process.stderr.write('', () => process.exit(code));
  });
}
