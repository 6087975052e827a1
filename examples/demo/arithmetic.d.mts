// Types of arithmetic.mjs for TypeScript callers (the learning tests train on the demo's sums).
export interface SumProblem {
  readonly prompt: string;
  readonly answer: string;
}

export function writeDemoData(dir: string, options: { heldOut: number; seed: number }): { train: SumProblem[]; test: SumProblem[] };
