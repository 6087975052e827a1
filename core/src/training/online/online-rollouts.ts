import type { CursorPosition } from '../../data/shuffle.js';
import { EpochCursor } from '../../data/shuffle.js';
import type { TokenizedDataset } from '../../data/tokenized-dataset.js';
import type { RunValue } from '../../engine/graph-executor.js';
import type { RolloutEngine } from '../../models/rollout/rollout-engine.js';
import type { RewardAggregator } from '../rewards/reward-aggregator.js';
import type { RankShare } from './rank-share.js';
import { cutAfterEos, type Rollout } from './rollout.js';

export interface OnlineRolloutOptions {
  /** Completions sampled per prompt (GRPO's G, RLOO's k, 1 for PPO). */
  readonly samplesPerPrompt: number;
  readonly maxNewTokens: number;
  readonly temperature: number;
  readonly topK?: number;
  readonly topP?: number;
  /** false: EOS does not stop sampling and the tokens after it are kept (PPO's stop_token "none"). Default true. */
  readonly stopAtEos?: boolean;
  readonly eosTokenId: number;
  readonly shuffle: boolean;
  readonly seed: number;
}

/**
 * Samples completions of the next prompts from the current policy and scores them with the reward functions (if
 * any); the prompts cycle through epochs in the order of a cursor that checkpoints save, so a resumed run samples
 * the prompts an uninterrupted one would.
 */
export class OnlineRollouts {
  private readonly prompts: EpochCursor;
  private generation = 0;

  constructor(
    private readonly engine: RolloutEngine,
    private readonly aggregator: RewardAggregator | undefined,
    private readonly data: TokenizedDataset,
    private readonly options: OnlineRolloutOptions,
  ) {
    this.prompts = new EpochCursor(data.size, { shuffle: options.shuffle, seed: options.seed });
  }

  /** The prompt cursor, saved in checkpoints. */
  get position(): CursorPosition {
    return this.prompts.position;
  }

  seek(position: CursorPosition): void {
    this.prompts.seek(position);
  }

  /**
   * The next `prompts` prompts (epoch order, cycling), samplesPerPrompt consecutive completions each. With several
   * ranks (`share`), each generates and scores a block of whole prompts, then the rollouts are gathered, so every
   * rank holds the batch one process would (rewards included, before any group statistic).
   */
  async sample(prompts: number, weights?: Readonly<Record<string, RunValue>>, share?: RankShare): Promise<Rollout[]> {
    const rows = this.prompts.next(prompts);
    if (!share || share.worldSize === 1) return this.generate(rows, weights, 0);
    const { start, end } = share.block(rows.length);
    const own = await this.generate(rows.slice(start, end), weights, share.rank);
    const G = this.options.samplesPerPrompt;
    const gathered = await share.gather(own.map((r) => this.encode(r)), start * G, rows.length * G);
    return gathered.map((row) => this.decode(row));
  }

  /** A rollout as numbers: row, EOS flag, total and each reward (NaN = null), then the completion's ids and its text's UTF-16 units. */
  private encode(r: Rollout): Float64Array {
    const names = this.rewardNames;
    const text = Array.from({ length: r.completion.length }, (_, i) => r.completion.charCodeAt(i));
    return Float64Array.from([r.row, r.containsEos ? 1 : 0, r.total ?? NaN, ...names.map((n) => r.rewards[n] ?? NaN), r.completionIds.length, ...r.completionIds, ...text]);
  }

  private decode(values: Float64Array): Rollout {
    const names = this.rewardNames;
    const row = values[0]!;
    const nullable = (v: number) => (Number.isNaN(v) ? null : v);
    const idsAt = 4 + names.length;
    const ids = Int32Array.from(values.subarray(idsAt, idsAt + values[idsAt - 1]!));
    return {
      row,
      prompt: this.data.row(row).prompt,
      promptIds: this.data.tokens('prompt', row),
      completionIds: ids,
      completion: String.fromCharCode(...values.subarray(idsAt + ids.length)),
      containsEos: values[1] === 1,
      rewards: Object.fromEntries(names.map((n, k) => [n, nullable(values[3 + k]!)])),
      total: nullable(values[2]!),
    };
  }

  private get rewardNames(): string[] {
    return this.aggregator?.names ?? [];
  }

  /** One generation call over `rows`, then one reward call; every call draws a fresh sampling seed (each rank its own). */
  private async generate(rows: readonly number[], weights: Readonly<Record<string, RunValue>> | undefined, rank: number): Promise<Rollout[]> {
    const call = ++this.generation;
    if (rows.length === 0) return [];
    const o = this.options;
    const keepAfterEos = o.stopAtEos === false;
    const { completions } = await this.engine.generate(rows.map((r) => [...this.data.tokens('prompt', r)]), {
      maxNewTokens: o.maxNewTokens,
      temperature: o.temperature,
      ...(o.topK === undefined ? {} : { topK: o.topK }),
      ...(o.topP === undefined ? {} : { topP: o.topP }),
      numReturnSequences: o.samplesPerPrompt,
      seed: o.seed + 7919 * call + 104729 * rank,
      ...(weights ? { weights } : {}),
      // without a stop token, EOS is sampled like any other token (TRL's stop_token: null)
      ...(keepAfterEos ? { eosTokenIds: [] } : {}),
    });
    const sampleRows = completions.map((c) => rows[c.promptIndex]!);
    const prompts = sampleRows.map((r) => this.data.row(r).prompt);
    const cut = completions.map((c) => cutAfterEos(c.tokenIds, o.eosTokenId, keepAfterEos));
    const scores = await this.aggregator?.score({
      prompts,
      completions: completions.map((c) => c.text),
      completionIds: cut.map((c) => [...c.ids]),
      columns: this.data.rewardColumns(sampleRows),
    });
    return completions.map((c, i) => ({
      row: sampleRows[i]!,
      prompt: prompts[i]!,
      promptIds: this.data.tokens('prompt', sampleRows[i]!),
      completionIds: cut[i]!.ids,
      completion: c.text,
      containsEos: cut[i]!.containsEos,
      rewards: Object.fromEntries(Object.entries(scores?.raw ?? {}).map(([name, values]) => [name, values[i] ?? null])),
      total: scores?.total[i] ?? null,
    }));
  }
}
