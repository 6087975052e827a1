/**
 * Where onnxruntime sessions live. `InProcessHost` runs them on the calling thread (zero-copy feeds);
 * `WorkerHost` (./worker-host.ts) runs them on a worker thread so the event loop stays free.
 * The backend talks to either through this interface and never holds an ort.InferenceSession itself.
 */
import * as ort from 'onnxruntime-node';
import type { HostTensor } from '@aligntune/core/engine';
import { fromOrtTensor, toOrtTensor } from './tensor-convert.js';

/** What a backend needs to know about a created session (plain data, so it crosses threads). */
export interface SessionInfo {
  readonly handle: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** onnxruntime type name of each tensor input ('float32', 'int64', ...). */
  readonly inputTypes: Readonly<Record<string, string>>;
}

export interface SessionHost {
  /** Throws onnxruntime's own message when it rejects the model. */
  create(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<SessionInfo>;
  run(handle: number, feeds: Readonly<Record<string, HostTensor>>, fetches: readonly string[]): Promise<Record<string, HostTensor>>;
  /** `endProfiling` flushes the profile JSON before the session goes. */
  release(handle: number, endProfiling: boolean): Promise<void>;
  dispose(): Promise<void>;
}

export function describeSession(handle: number, session: ort.InferenceSession): SessionInfo {
  const inputTypes: Record<string, string> = {};
  for (const meta of session.inputMetadata) if (meta.isTensor) inputTypes[meta.name] = meta.type;
  return { handle, inputNames: [...session.inputNames], outputNames: [...session.outputNames], inputTypes };
}

export class InProcessHost implements SessionHost {
  private readonly sessions = new Map<number, ort.InferenceSession>();
  private nextHandle = 1;

  async create(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<SessionInfo> {
    const session = await ort.InferenceSession.create(model, options);
    const handle = this.nextHandle++;
    this.sessions.set(handle, session);
    return describeSession(handle, session);
  }

  async run(handle: number, feeds: Readonly<Record<string, HostTensor>>, fetches: readonly string[]) {
    const session = this.session(handle);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(tensor);
    const outputs = await session.run(ortFeeds, fetches);
    const result: Record<string, HostTensor> = {};
    for (const name of fetches) result[name] = fromOrtTensor(name, outputs[name]!);
    return result;
  }

  async release(handle: number, endProfiling: boolean): Promise<void> {
    const session = this.session(handle);
    this.sessions.delete(handle);
    if (endProfiling) session.endProfiling();
    await session.release();
  }

  async dispose(): Promise<void> {
    const handles = [...this.sessions.keys()];
    await Promise.all(handles.map((handle) => this.release(handle, false)));
  }

  private session(handle: number): ort.InferenceSession {
    const session = this.sessions.get(handle);
    if (!session) throw new Error(`onnxruntime session ${handle} was released`);
    return session;
  }
}
