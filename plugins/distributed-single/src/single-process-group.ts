import { type CollectiveBuffer, type ProcessGroup, type ProcessGroupInit, type ReduceOp } from '@aligntune/core/engine';
import { DistributedBackend } from '@aligntune/core/kernel';

/**
 * One process, world size 1: every collective is the identity. It still validates its inputs, so a
 * trainer that would misuse a real backend fails here too.
 */
@DistributedBackend('single', { description: 'one process on one device (the default)' })
export class SingleProcessGroup implements ProcessGroup {
  readonly id = 'single';
  readonly rank = 0;
  readonly localRank = 0;
  readonly worldSize = 1;
  private initialised = false;

  async init(options: ProcessGroupInit): Promise<void> {
    if (options.nodes !== 1 || options.processesPerNode !== 1) {
      throw new Error(
        `distributed backend "single" runs one process, but the config asks for ${options.nodes} node(s) × ${options.processesPerNode} process(es); choose a multi-process backend`,
      );
    }
    this.initialised = true;
  }

  async allReduce(buffers: CollectiveBuffer[], op: ReduceOp): Promise<void> {
    this.checkReady('allReduce');
    if (op !== 'sum' && op !== 'mean') throw new Error(`allReduce: unknown op "${String(op)}"`);
    void buffers; // sum and mean over one rank leave each buffer unchanged
  }

  async reduce(buffers: CollectiveBuffer[], root: number): Promise<void> {
    this.checkRoot('reduce', root);
    void buffers; // the sum over one rank is its own buffer
  }

  async broadcast(buffers: CollectiveBuffer[], root: number): Promise<void> {
    this.checkRoot('broadcast', root);
    void buffers;
  }

  async barrier(): Promise<void> {
    this.checkReady('barrier');
  }

  abort(code: number): never {
    process.exit(code);
  }

  async destroy(): Promise<void> {
    this.initialised = false;
  }

  private checkRoot(operation: string, root: number): void {
    this.checkReady(operation);
    if (root !== 0) throw new Error(`${operation}: root rank ${root} does not exist in a world of size 1`);
  }

  private checkReady(operation: string): void {
    if (!this.initialised) throw new Error(`${operation} called before init()`);
  }
}
