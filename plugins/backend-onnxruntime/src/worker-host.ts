/**
 * Runs onnxruntime sessions on a worker_threads Worker. onnxruntime-node 1.30's `run()` (and session
 * creation) block the calling thread, so with this host the main event loop keeps serving timers,
 * progress output and signals while a long graph runs.
 *
 * Costs: feeds are structured-cloned into the worker (serialised and copied, slow for large tensors)
 * unless their buffer is a SharedArrayBuffer, which is shared and then copied once on the worker thread;
 * outputs come back by transfer (free); each call adds a message round trip (~50 µs).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import type { HostTensor } from '@aligntune/core/engine';
import type { SessionHost, SessionInfo } from './session-host.js';
import { isDType } from './tensor-convert.js';

type Request =
  | { op: 'create'; model: Uint8Array; options: ort.InferenceSession.SessionOptions }
  | { op: 'run'; handle: number; feeds: Record<string, HostTensor>; fetches: readonly string[] }
  | { op: 'release'; handle: number; endProfiling: boolean };

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The worker's whole program. It is shipped as source text (`eval: true`) so the same code works from
 * `dist/` and from TypeScript sources under the test runner; it must therefore not close over anything
 * in this module: everything it needs comes from `require` and `workerData`.
 */
function sessionWorkerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const runtime = require((workerData as { ortPath: string }).ortPath) as typeof import('onnxruntime-node');
  const sessions = new Map<number, import('onnxruntime-node').InferenceSession>();
  let nextHandle = 1;

  function describe(handle: number, session: import('onnxruntime-node').InferenceSession) {
    const inputTypes: Record<string, string> = {};
    for (const meta of session.inputMetadata) if (meta.isTensor) inputTypes[meta.name] = meta.type;
    return { handle, inputNames: [...session.inputNames], outputNames: [...session.outputNames], inputTypes };
  }

  function lookup(handle: number) {
    const session = sessions.get(handle);
    if (!session) throw new Error(`onnxruntime session ${handle} was released`);
    return session;
  }

  async function handle(message: Request): Promise<[unknown, ArrayBuffer[]]> {
    if (message.op === 'create') {
      const session = await runtime.InferenceSession.create(message.model, message.options);
      const handle = nextHandle++;
      sessions.set(handle, session);
      return [describe(handle, session), []];
    }
    if (message.op === 'run') {
      const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const [name, t] of Object.entries(message.feeds)) {
        // SharedArrayBuffer feeds arrive without a copy; the binding only takes plain ArrayBuffers.
        const data = t.data.buffer instanceof SharedArrayBuffer ? t.data.slice() : t.data;
        if (t.dtype === 'bfloat16') throw new Error(`feed ${name}: bfloat16 tensors cannot be fed to onnxruntime-node`);
        feeds[name] = new runtime.Tensor(t.dtype, data as import('onnxruntime-node').Tensor.DataType, t.dims);
      }
      const outputs = await lookup(message.handle).run(feeds, message.fetches);
      const result: Record<string, unknown> = {};
      const transfer = new Set<ArrayBuffer>();
      for (const name of message.fetches) {
        const value = outputs[name]!;
        result[name] = { dtype: value.type, dims: value.dims, data: value.data };
        // Outputs are fresh buffers the worker never touches again: hand them over instead of cloning.
        const buffer = (value.data as { buffer?: ArrayBuffer }).buffer;
        if (buffer instanceof ArrayBuffer) transfer.add(buffer);
      }
      return [result, [...transfer]];
    }
    if (message.op === 'release') {
      const session = lookup(message.handle);
      sessions.delete(message.handle);
      if (message.endProfiling) session.endProfiling();
      await session.release();
      return [undefined, []];
    }
    throw new Error(`unknown request ${(message as { op: string }).op}`);
  }

  parentPort!.on('message', (message: Request & { id: number }) => {
    handle(message).then(
      ([result, transfer]) => parentPort!.postMessage({ id: message.id, ok: true, result }, transfer),
      (error: unknown) =>
        parentPort!.postMessage({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

export class WorkerHost implements SessionHost {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  async create(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<SessionInfo> {
    return (await this.call({ op: 'create', model, options })) as SessionInfo;
  }

  async run(handle: number, feeds: Readonly<Record<string, HostTensor>>, fetches: readonly string[]) {
    const plain: Record<string, HostTensor> = {};
    // Only dtype/dims/data cross the thread boundary, whatever else the caller's tensor object carries.
    for (const [name, t] of Object.entries(feeds)) plain[name] = { dtype: t.dtype, dims: [...t.dims], data: t.data };
    const outputs = (await this.call({ op: 'run', handle, feeds: plain, fetches })) as Record<string, HostTensor>;
    for (const [name, value] of Object.entries(outputs)) {
      if (!isDType(value.dtype)) throw new Error(`output "${name}": onnxruntime type "${value.dtype}" has no aligntune dtype`);
    }
    return outputs;
  }

  async release(handle: number, endProfiling: boolean): Promise<void> {
    await this.call({ op: 'release', handle, endProfiling });
  }

  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    // Terminating frees every session the worker still holds.
    if (worker) await worker.terminate();
  }

  private call(request: Request): Promise<unknown> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref(); // keep the process alive while a request is outstanding
      worker.postMessage({ id, ...request });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(`(${sessionWorkerMain.toString()})()`, { eval: true, workerData: { ortPath } });
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.failAll(new Error(`onnxruntime session worker failed: ${error.message}`)));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(new Error(`onnxruntime session worker exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new Error(reply.error));
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
