import { compileWithSharedWeights } from '../../engine/compile-with-shared-weights.js';
import type { SequenceBatch } from '../../data/collate.js';
import type { CompiledGraph, GraphExecutor, HostTensor, RunValue } from '../../engine/graph-executor.js';
import { hostValues } from '../../engine/interpret/nd-array.js';
import { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { emitModel } from '../../engine/onnx/emit-model.js';
import { declareTokenInputs, type TokenInputs } from '../../models/graph/causal-lm.js';
import { tokenLogProbs } from '../../models/graph/log-probs.js';
import type { DecoderModel } from '../../models/roles/decoder-model.js';
import { REFERENCE_PREFIX, type PolicyModel } from '../../models/roles/policy-model.js';
import { tokenFeeds } from '../batch-feeds.js';
import type { RankShare } from './rank-share.js';
import { collateRollouts, completionValues } from './rollout-batch.js';
import type { Rollout } from './rollout.js';

/** One rollout's scores: each [rows × length] output read at its completion tokens, each [rows] output's value. */
export interface CompletionScores {
  readonly tokens: Record<string, Float64Array>;
  readonly rows: Record<string, number>;
}

/** More outputs of the same forward (PPO's values and reward-model scores) and the frozen weights they read. */
export interface ExtraScores {
  readonly outputs: Record<string, Tensor>;
  readonly frozen: Record<string, HostTensor>;
}

export interface RolloutScorerModels {
  readonly policy: PolicyModel;
  /** When set, `refLogps` are scored too (its weights are frozen feeds). */
  readonly reference?: DecoderModel;
  /** Log-probs from logits / temperature, as sampling used. */
  readonly temperature: number;
  /** Names the compiled graph in logs and errors. */
  readonly label: string;
  readonly extra?: (g: Graph, inputs: TokenInputs) => ExtraScores;
}

/**
 * One forward over a rollout micro-batch with the current weights (fed, so no recompiling): the rollout-time
 * policy's log-probs (`logps`), the reference's (`refLogps`) and any extra outputs, each [rows × length] aligned
 * with input_ids unless the extra output says otherwise.
 */
export class RolloutScorer {
  private constructor(
    private readonly graph: CompiledGraph,
    private readonly frozenFeeds: Record<string, HostTensor>,
    /** Output names by kind: per token ([rows × length]) and per row ([rows]), so gathered scores can be read back. */
    private readonly kinds: { readonly tokens: readonly string[]; readonly rows: readonly string[] },
  ) {}

  static async create(executor: GraphExecutor, models: RolloutScorerModels): Promise<RolloutScorer> {
    const g = new Graph(models.label.replace(/\W+/g, '-'));
    const inputs = declareTokenInputs(g);
    const logp = (logits: Tensor) => tokenLogProbs(g, logits, inputs.inputIds, models.temperature);
    const outputs: Record<string, Tensor> = { logps: logp(models.policy.forward(g, inputs).logits) };
    const frozen: Record<string, HostTensor> = {};
    if (models.reference) {
      const ref = models.reference.forward(g, inputs, 'input', REFERENCE_PREFIX);
      outputs.refLogps = logp(models.reference.lmLogits(g, ref.weights, ref.hidden));
      Object.assign(frozen, models.reference.namedWeights(REFERENCE_PREFIX));
    }
    if (models.extra) {
      const extra = models.extra(g, inputs);
      Object.assign(outputs, extra.outputs);
      Object.assign(frozen, extra.frozen);
    }
    const compiled = await compileWithSharedWeights(executor, emitModel(g, { outputs }), { label: models.label });
    const names = Object.keys(outputs);
    return new RolloutScorer(compiled, frozen, { tokens: names.filter((n) => outputs[n]!.shape.length === 2), rows: names.filter((n) => outputs[n]!.shape.length === 1) });
  }

  /** `params`: the session's current trained weights. */
  async score(batch: SequenceBatch, params: Readonly<Record<string, RunValue>>): Promise<Record<string, Float32Array>> {
    const out = await this.run(batch, params);
    return Object.fromEntries(Object.entries(out).map(([name, tensor]) => [name, Float32Array.from(hostValues(tensor))]));
  }

  /**
   * Scores every rollout, `chunk` rows per forward (per_device_batch_size), each as its completion's values. With
   * several ranks (`share`), each scores its block of the rollouts and the scores are gathered, so every rank holds all.
   */
  async scoreCompletions(rollouts: readonly Rollout[], params: Readonly<Record<string, RunValue>>, o: { padTokenId: number; chunk: number; share?: RankShare }): Promise<CompletionScores[]> {
    if (!o.share || o.share.worldSize === 1) return this.scoreAll(rollouts, params, o);
    const { start, end } = o.share.block(rollouts.length);
    const own = await this.scoreAll(rollouts.slice(start, end), params, o);
    const rows = await o.share.gather(own.map((s) => this.flatten(s)), start, rollouts.length);
    return rows.map((row, i) => this.unflatten(row, rollouts[i]!.completionIds.length));
  }

  /** One rollout's scores as one row: the per-row values, then each per-token array. */
  private flatten(scores: CompletionScores): Float64Array {
    return Float64Array.from([...this.kinds.rows.map((n) => scores.rows[n]!), ...this.kinds.tokens.flatMap((n) => [...scores.tokens[n]!])]);
  }

  private unflatten(row: Float64Array, tokens: number): CompletionScores {
    const at = this.kinds.rows.length;
    return {
      rows: Object.fromEntries(this.kinds.rows.map((n, k) => [n, row[k]!])),
      tokens: Object.fromEntries(this.kinds.tokens.map((n, k) => [n, row.slice(at + k * tokens, at + (k + 1) * tokens)])),
    };
  }

  private async scoreAll(rollouts: readonly Rollout[], params: Readonly<Record<string, RunValue>>, o: { padTokenId: number; chunk: number }): Promise<CompletionScores[]> {
    const scores: CompletionScores[] = [];
    for (let at = 0; at < rollouts.length; at += o.chunk) {
      const part = rollouts.slice(at, at + o.chunk);
      const batch = collateRollouts(part, o.padTokenId);
      const out = Object.entries(await this.run(batch, params));
      const lengths = part.map((r) => r.completionIds.length);
      const grids = out.filter(([, t]) => t.dims.length === 2).map(([name, t]) => [name, completionValues(batch, hostValues(t), lengths)] as const);
      const rows = out.filter(([, t]) => t.dims.length === 1).map(([name, t]) => [name, hostValues(t)] as const);
      part.forEach((_, i) => {
        scores.push({
          tokens: Object.fromEntries(grids.map(([name, values]) => [name, values[i]!])),
          rows: Object.fromEntries(rows.map(([name, values]) => [name, values[i]!])),
        });
      });
    }
    return scores;
  }

  private async run(batch: SequenceBatch, params: Readonly<Record<string, RunValue>>): Promise<Record<string, HostTensor>> {
    const all: Record<string, RunValue> = { ...params, ...this.frozenFeeds, ...tokenFeeds(batch) };
    return this.graph.run(Object.fromEntries(this.graph.inputNames.map((n) => [n, all[n]!])));
  }

  dispose(): Promise<void> {
    return this.graph.dispose();
  }
}
