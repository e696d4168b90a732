/**
 * Shared by the samples, and not part of what they teach: calls `step(i)` for i = 0, 1, … with a
 * short pause, kills the emulated writer after 50 steps, and goes on until 50 steps have run after
 * the new writer was promoted. Resolves the number of steps and the new writer's id.
 */
import type { EmulatedCluster } from 'aurora-ha/emulator';

export async function driveThroughFailover(
  cluster: EmulatedCluster,
  step: (i: number) => Promise<void>,
): Promise<{ steps: number; newWriter: string }> {
  let steps = 0;
  let failover: Promise<{ newWriter: string }> | undefined;
  let promoted = false;
  let afterPromotion = 0;
  while (afterPromotion < 50) {
    await step(steps);
    steps++;
    if (steps === 50) {
      console.log('killing the writer…');
      failover = cluster.failover();
      failover.then(
        () => (promoted = true),
        () => (promoted = true),
      );
    }
    if (promoted) afterPromotion++;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { steps, newWriter: (await failover!).newWriter };
}
