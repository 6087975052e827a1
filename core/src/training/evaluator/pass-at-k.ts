/**
 * The unbiased pass@k estimator of Chen et al. (2021, "Evaluating Large Language Models Trained on Code"):
 * with n samples of which c pass, pass@k = 1 − C(n−c, k) / C(n, k). Computed as the product
 * 1 − Π_{i=n−c+1..n} (1 − k/i), which never forms the (huge) binomials.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) || c < 0 || c > n || k < 1 || k > n) {
    throw new Error(`pass@k needs integers 0 <= c <= n and 1 <= k <= n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}
