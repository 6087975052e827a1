/**
 * The order in which a run's completion and a `setImmediate` callback arrive. A run that blocks the main
 * thread has resolved before the loop reaches its check phase (['run', 'immediate']); a run on another thread
 * that takes longer than one loop turn is still in flight when the immediate fires (['immediate', 'run']).
 * Order, not time, so a loaded machine cannot flip it.
 */
export async function completionOrder(run: () => Promise<unknown>): Promise<string[]> {
  const order: string[] = [];
  const running = run().then(() => order.push('run'));
  setImmediate(() => order.push('immediate'));
  await running;
  await new Promise((resolve) => setImmediate(resolve));
  return order;
}
