/**
 * Running mean and variance by Welford's online algorithm: one pass, numerically stable, O(1) memory, so a
 * reward's normalisation reflects every value seen in the run rather than one (possibly tiny) batch.
 * The variance is the population variance (M2 / n).
 */
export class RunningStats {
  private n = 0;
  private mu = 0;
  private m2 = 0;

  push(value: number): void {
    this.n += 1;
    const delta = value - this.mu;
    this.mu += delta / this.n;
    this.m2 += delta * (value - this.mu);
  }

  get count(): number {
    return this.n;
  }

  get mean(): number {
    return this.mu;
  }

  get variance(): number {
    return this.n > 0 ? this.m2 / this.n : 0;
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }
}
