import { isResident, type HostTensor, type RunValue } from '../engine/graph-executor.js';
import type { CollectiveBuffer } from '../engine/process-group.js';

/**
 * Runs a collective on values where they live: host tensors and host-memory resident tensors in place (no copy
 * through JS), device-memory ones through a host copy written back afterwards. Only float32/float64 values
 * take part (integer inputs are never reduced).
 */
export async function inPlace(values: Iterable<RunValue>, collective: (buffers: CollectiveBuffer[]) => Promise<void>): Promise<void> {
  const buffers: CollectiveBuffer[] = [];
  const writeBack: Array<() => void> = [];
  for (const value of values) {
    if (!isResident(value)) {
      if (isCollective(value.data)) buffers.push(value.data);
      continue;
    }
    const view = value.hostView?.();
    if (view) {
      if (isCollective(view)) buffers.push(view);
      continue;
    }
    const copy: HostTensor = value.read();
    if (!isCollective(copy.data)) continue;
    buffers.push(copy.data);
    writeBack.push(() => value.write(copy));
  }
  await collective(buffers);
  for (const write of writeBack) write();
}

function isCollective(data: HostTensor['data']): data is CollectiveBuffer {
  return data instanceof Float32Array || data instanceof Float64Array;
}
