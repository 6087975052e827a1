import type { HostTensor } from '../../engine/graph-executor.js';
import { loraNames, type LoraAdapter } from './lora-adapter.js';

/**
 * The base's canonical weights with the adapter folded in (PEFT's merge_and_unload): W + scale·A·B for each
 * adapted linear (canonical [in, out] layout, so Conv1D and nn.Linear merge alike), modules_to_save replaced by
 * their trained copies; the rest shared with the base (a stored base weight, half or quantized, decoded to float32).
 */
export function mergedWeights(adapter: LoraAdapter): Map<string, HostTensor> {
  const { base } = adapter;
  const merged = new Map(base.weights);
  for (const [name, stored] of base.stored) merged.set(name, { dtype: 'float32', dims: [...stored.dims], data: Float32Array.from(stored.toFloat32()) });
  for (const t of adapter.targets) {
    const { a, b } = loraNames(t.module);
    const name = `${t.module}.weight`;
    const w = merged.get(name)!;
    const out = Float64Array.from(w.data as Float32Array);
    addScaledProduct(out, adapter.tensors.get(a)!, adapter.tensors.get(b)!, adapter.scale);
    merged.set(name, { dtype: w.dtype, dims: w.dims, data: w.dtype === 'float64' ? out : Float32Array.from(out) });
  }
  for (const m of adapter.saved) for (const s of m.tensors) merged.set(s.canonicalName, adapter.tensors.get(s.canonicalName)!);
  return merged;
}

/** out[in, out] += scale · A[in, r] · B[r, out], accumulated in float64. */
function addScaledProduct(out: Float64Array, a: HostTensor, b: HostTensor, scale: number): void {
  const [rows, r] = a.dims as [number, number];
  const cols = b.dims[1]!;
  const ad = a.data as Float32Array | Float64Array;
  const bd = b.data as Float32Array | Float64Array;
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < r; k++) {
      const aik = scale * ad[i * r + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < cols; j++) out[i * cols + j] += aik * bd[k * cols + j]!;
    }
  }
}
