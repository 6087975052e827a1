// Float64 building blocks of the reference forward: plain loops, no cleverness, so they are easy to audit
// against the Hugging Face modeling code.

export type Vec = Float64Array;
/** A weight matrix as stored by Hugging Face, row-major. */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: ArrayLike<number>;
}

/** nn.Linear: y = W x + b with W [out, in] (PyTorch layout). */
export function linear(x: Vec, w: Mat, bias?: ArrayLike<number>): Vec {
  if (w.cols !== x.length) throw new Error(`linear: weight is [${w.rows}, ${w.cols}], input has ${x.length}`);
  const y = new Float64Array(w.rows);
  for (let o = 0; o < w.rows; o++) {
    let s = bias ? bias[o]! : 0;
    for (let i = 0; i < w.cols; i++) s += w.data[o * w.cols + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

/** GPT-2's Conv1D: y = x W + b with W [in, out]. */
export function conv1d(x: Vec, w: Mat, bias: ArrayLike<number>): Vec {
  if (w.rows !== x.length) throw new Error(`conv1d: weight is [${w.rows}, ${w.cols}], input has ${x.length}`);
  const y = new Float64Array(w.cols);
  for (let o = 0; o < w.cols; o++) {
    let s = bias[o]!;
    for (let i = 0; i < w.rows; i++) s += x[i]! * w.data[i * w.cols + o]!;
    y[o] = s;
  }
  return y;
}

/** nn.LayerNorm: (x − mean) / sqrt(biased var + eps) · w + b. */
export function layerNorm(x: Vec, w: ArrayLike<number>, b: ArrayLike<number>, eps: number): Vec {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i]! - mean) ** 2;
  v /= n;
  const inv = 1 / Math.sqrt(v + eps);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = (x[i]! - mean) * inv * w[i]! + b[i]!;
  return y;
}

/** LlamaRMSNorm: w · x / sqrt(mean(x²) + eps) (HF does it in float32; here float64). */
export function rmsNorm(x: Vec, w: ArrayLike<number>, eps: number): Vec {
  let ms = 0;
  for (let i = 0; i < x.length; i++) ms += x[i]! * x[i]!;
  ms /= x.length;
  const inv = 1 / Math.sqrt(ms + eps);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = w[i]! * (x[i]! * inv);
  return y;
}

/** transformers' NewGELUActivation (tanh approximation). */
export function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function logSoftmax(x: ArrayLike<number>): Vec {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]!);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i]! - max);
  const lse = max + Math.log(sum);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! - lse;
  return y;
}

export function softmax(x: ArrayLike<number>): Vec {
  return logSoftmax(x).map(Math.exp);
}

export function add(a: Vec, b: Vec): Vec {
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i]! + b[i]!;
  return y;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, aOffset = 0, bOffset = 0, n = a.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[aOffset + i]! * b[bOffset + i]!;
  return s;
}
