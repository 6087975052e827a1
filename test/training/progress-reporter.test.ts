import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '@aligntune/core';

/** A plain-line reporter over a fake clock; returns the lines written and a function that ends a step at `ms`. */
function reporter(total: number) {
  const lines: string[] = [];
  let now = 0;
  const stream = { isTTY: false, write: (text: string) => lines.push(text.trim()) } as unknown as NodeJS.WriteStream;
  const progress = new ProgressReporter({ total, stream, now: () => now });
  const step = (n: number, ms: number, loss = 1) => {
    now = ms;
    progress.update(n, { loss, tokens_per_second: 100 });
  };
  return { progress, lines, step };
}

describe('ProgressReporter', () => {
  it('gives no ETA until a step after the first is timed, and leaves the warm-up step out of the estimate', () => {
    const { progress, lines, step } = reporter(10);
    progress.start(0);
    step(1, 10_000); // compiling and warming up: 10 s
    step(2, 11_000); // then 1 s a step
    step(3, 12_000);
    expect(lines.map((line) => line.split('ETA ')[1])).toEqual(['-', '8s', '7s']);
  });

  it('prints only the steps that logged a row, with that row\'s values', () => {
    const { progress, lines } = reporter(4);
    progress.start(0);
    progress.update(1);
    progress.update(2, { loss: 0.12345, tokens_per_second: 99.6 });
    expect(lines).toEqual([expect.stringMatching(/^step 2\/4 loss 0\.1235 100 tok\/s ETA /)]);
  });
});
