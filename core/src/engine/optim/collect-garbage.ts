import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | undefined;

/**
 * A full garbage collection, now. The grouped optimizer update replaces each group's weights and optimizer
 * state with fresh buffers (onnxruntime-node copies every output); V8 frees the old ones only when its
 * heuristics say so, and until then a step's released groups pile up as resident memory. Collecting after
 * each large group keeps the peak near one group's worth. The `gc` function comes from a context created
 * after `--expose-gc` is set (the flag only affects contexts made afterwards).
 */
export function collectGarbage(): void {
  if (!collector) {
    const global = globalThis as { gc?: () => void };
    if (typeof global.gc === 'function') collector = global.gc;
    else {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as () => void;
    }
  }
  collector();
}
