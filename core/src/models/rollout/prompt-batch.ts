export interface PaddedBatch {
  readonly ids: number[][];
  readonly mask: number[][];
  readonly positions: number[][];
}

/** HF's position ids: cumsum(mask) − 1, with padding positions set to 1 (their value never matters). */
export function positionIds(mask: readonly number[]): number[] {
  let n = 0;
  return mask.map((m) => (m ? n++ : 1));
}

/** Left-pads rows to the longest (generation's layout: every row's last token sits in the same slot). */
export function leftPad(rows: readonly (readonly number[])[], padId: number): PaddedBatch {
  const len = Math.max(1, ...rows.map((r) => r.length));
  const ids = rows.map((r) => [...new Array<number>(len - r.length).fill(padId), ...r]);
  const mask = rows.map((r) => [...new Array<number>(len - r.length).fill(0), ...r.map(() => 1)]);
  return { ids, mask, positions: mask.map(positionIds) };
}

/** Right-pads rows to the longest (training's layout); positions count real tokens from 0. */
export function rightPad(rows: readonly (readonly number[])[], padId: number): PaddedBatch {
  const len = Math.max(1, ...rows.map((r) => r.length));
  const ids = rows.map((r) => [...r, ...new Array<number>(len - r.length).fill(padId)]);
  const mask = rows.map((r) => [...r.map(() => 1), ...new Array<number>(len - r.length).fill(0)]);
  return { ids, mask, positions: mask.map(positionIds) };
}
