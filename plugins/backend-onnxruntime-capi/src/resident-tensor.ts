import { DTYPE_ARRAY, elementCount, type DType, type HostTensor, type ResidentTensor } from '@aligntune/core/engine';
import type { Ptr } from './ort-api.js';
import type { OrtDevice } from './ort-device.js';
import { hostBytes, releaseValue } from './ort-value.js';

/** Values a caller dropped without dispose() are freed when collected, so a forgotten tensor cannot leak for good. */
const unreleased = new FinalizationRegistry<Ptr>((value) => releaseValue(value));

/** A tensor in onnxruntime's memory (host or device), owned by the backend instance that made it. */
export class OrtResidentTensor implements ResidentTensor {
  readonly resident = true;
  private released = false;

  constructor(
    readonly owner: object,
    readonly value: Ptr,
    readonly dtype: DType,
    readonly dims: readonly number[],
    private readonly device: OrtDevice,
  ) {
    unreleased.register(this, value, this);
  }

  get disposed(): boolean {
    return this.released;
  }

  read(): HostTensor {
    this.checkLive();
    return this.device.read(this.value);
  }

  write(tensor: HostTensor): void {
    this.checkLive();
    if (tensor.dtype !== this.dtype || tensor.dims.join() !== this.dims.join() || tensor.data.length !== elementCount(this.dims)) {
      throw new Error(`resident tensor is ${this.dtype}[${this.dims.join(', ')}]; cannot write ${tensor.dtype}[${tensor.dims.join(', ')}]`);
    }
    this.device.write(this.value, tensor);
  }

  /** A view of the value's host memory (CPU device): what MPI reduces in place. */
  hostView(): HostTensor['data'] | undefined {
    this.checkLive();
    if (this.device.kind !== 'cpu') return undefined;
    const Typed = DTYPE_ARRAY[this.dtype] as unknown as { new (buffer: ArrayBufferLike, offset: number, length: number): HostTensor['data']; BYTES_PER_ELEMENT: number };
    const bytes = hostBytes(this.value, elementCount(this.dims) * Typed.BYTES_PER_ELEMENT);
    return new Typed(bytes.buffer, bytes.byteOffset, elementCount(this.dims));
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    unreleased.unregister(this);
    releaseValue(this.value);
  }

  private checkLive(): void {
    if (this.released) throw new Error('resident tensor was disposed');
  }
}
