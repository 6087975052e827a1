/** A single-digit sum ("3+4=") and its answer ("7"). */
export interface SumProblem {
  readonly prompt: string;
  readonly answer: string;
}

/** Writes `<dir>/sft.jsonl` and `<dir>/arithmetic/{train,test}.jsonl`; returns the split (see arithmetic.mjs). */
export function writeDemoData(dir: string, options: { heldOut: number; seed: number }): { train: SumProblem[]; test: SumProblem[] };
