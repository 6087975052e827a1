import koffi from 'koffi';
import type { CollectiveBuffer } from '@aligntune/core/engine';

type Handle = unknown;
type NativeFunction = ((...args: unknown[]) => number) & { async(...args: unknown[]): void };

/** Open MPI's handles are the addresses of its exported globals (mpi.h's `&ompi_mpi_comm_world` etc.). */
export interface MpiHandles {
  readonly world: Handle;
  readonly float: Handle;
  readonly double: Handle;
  readonly sum: Handle;
  /** MPI_IN_PLACE is `(void *) 1` in Open MPI's mpi.h. */
  readonly inPlace: Handle;
}

export interface MpiLibrary {
  readonly handles: MpiHandles;
  readonly fn: Record<(typeof PROTOTYPES)[number][0], NativeFunction>;
}

/** The soname of Debian's Open MPI 4 (`libopenmpi3`); ALIGNTUNE_MPI_LIBRARY names another. */
const DEFAULT_LIBRARY = 'libmpi.so.40';
export const MPI_THREAD_MULTIPLE = 3;

const PROTOTYPES = [
  ['Initialized', 'int MPI_Initialized(_Out_ int *flag)'],
  ['Finalized', 'int MPI_Finalized(_Out_ int *flag)'],
  ['Init_thread', 'int MPI_Init_thread(void *argc, void *argv, int required, _Out_ int *provided)'],
  ['Comm_rank', 'int MPI_Comm_rank(void *comm, _Out_ int *rank)'],
  ['Comm_size', 'int MPI_Comm_size(void *comm, _Out_ int *size)'],
  ['Iallreduce', 'int MPI_Iallreduce(void *send, void *recv, int count, void *type, void *op, void *comm, _Out_ void **request)'],
  ['Ireduce', 'int MPI_Ireduce(void *send, void *recv, int count, void *type, void *op, int root, void *comm, _Out_ void **request)'],
  ['Ibcast', 'int MPI_Ibcast(void *buffer, int count, void *type, int root, void *comm, _Out_ void **request)'],
  ['Waitall', 'int MPI_Waitall(int count, void **requests, void *statuses)'],
  ['Barrier', 'int MPI_Barrier(void *comm)'],
  ['Abort', 'int MPI_Abort(void *comm, int code)'],
  ['Finalize', 'int MPI_Finalize()'],
] as const;

/**
 * koffi takes stack sizes only before its first library load, and onnxruntime's C API backend needs 8 MiB native
 * stacks (its kernels run on the calling thread): when MPI loads first it must not leave koffi's smaller defaults.
 */
const NATIVE_STACK_BYTES = 8 * 2 ** 20;

let loaded: MpiLibrary | undefined;

/** Loads libmpi once per process with global symbols (Open MPI's own plugins resolve against it); throws a sentence saying what to install. */
export function loadMpi(): MpiLibrary {
  if (loaded) return loaded;
  const path = process.env.ALIGNTUNE_MPI_LIBRARY ?? DEFAULT_LIBRARY;
  const current = koffi.config() as { sync_stack_size: number; async_stack_size: number };
  try {
    koffi.config({ ...current, sync_stack_size: Math.max(current.sync_stack_size, NATIVE_STACK_BYTES), async_stack_size: Math.max(current.async_stack_size, NATIVE_STACK_BYTES) });
  } catch {
    // another library was loaded first and set koffi up already
  }
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(path, { global: true });
  } catch (error) {
    throw new Error(`cannot load Open MPI's library ${path} (${(error as Error).message}); install it (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) or set ALIGNTUNE_MPI_LIBRARY to its path`);
  }
  const fn = Object.fromEntries(PROTOTYPES.map(([name, proto]) => [name, lib.func(proto) as NativeFunction])) as MpiLibrary['fn'];
  const symbol = (name: string): Handle => lib.symbol(name);
  const handles: MpiHandles = {
    world: symbol('ompi_mpi_comm_world'),
    float: symbol('ompi_mpi_float'),
    double: symbol('ompi_mpi_double'),
    sum: symbol('ompi_mpi_op_sum'),
    inPlace: koffi.as(1n, 'void *'),
  };
  loaded = { fn, handles };
  return loaded;
}

/** Throws naming the call when MPI returned an error code (the default error handler aborts first; this is for a changed handler). */
export function check(code: number, call: string): void {
  if (code !== 0) throw new Error(`MPI_${call} failed with error code ${code}`);
}

export function datatype(mpi: MpiLibrary, buffer: CollectiveBuffer): Handle {
  return buffer instanceof Float64Array ? mpi.handles.double : mpi.handles.float;
}

/** Waits for posted non-blocking operations on koffi's worker thread, so the event loop runs meanwhile. */
export function waitAll(mpi: MpiLibrary, requests: unknown[]): Promise<void> {
  if (requests.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    mpi.fn.Waitall.async(requests.length, requests, null, (error: Error | null, code: number) => {
      if (error) reject(error);
      else if (code !== 0) reject(new Error(`MPI_Waitall failed with error code ${code}`));
      else resolve();
    });
  });
}

/** A blocking call on koffi's worker thread. */
export function callAsync(f: NativeFunction, call: string, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    f.async(...args, (error: Error | null, code: number) => {
      if (error) reject(error);
      else if (code !== 0) reject(new Error(`MPI_${call} failed with error code ${code}`));
      else resolve();
    });
  });
}
