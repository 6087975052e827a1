import type { CursorPosition } from '../../data/shuffle.js';
import { EpochCursor } from '../../data/shuffle.js';
import type { TokenizedDataset } from '../../data/tokenized-dataset.js';
import type { RunValue } from '../../engine/graph-executor.js';
import type { RolloutEngine } from '../../models/rollout/rollout-engine.js';
import type { RewardAggregator } from '../rewards/reward-aggregator.js';
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

  /** The next `prompts` prompts (epoch order, cycling), samplesPerPrompt consecutive completions each. */
  sample(prompts: number, weights?: Readonly<Record<string, RunValue>>): Promise<Rollout[]> {
    return this.generate(this.prompts.next(prompts), weights);
  }

  /** One generation call over `rows`, then one reward call; every call draws a fresh sampling seed. */
  private async generate(rows: readonly number[], weights: Readonly<Record<string, RunValue>> | undefined): Promise<Rollout[]> {
    const o = this.options;
    const keepAfterEos = o.stopAtEos === false;
    const { completions } = await this.engine.generate(rows.map((r) => [...this.data.tokens('prompt', r)]), {
      maxNewTokens: o.maxNewTokens,
      temperature: o.temperature,
      ...(o.topK === undefined ? {} : { topK: o.topK }),
      ...(o.topP === undefined ? {} : { topP: o.topP }),
      numReturnSequences: o.samplesPerPrompt,
      seed: o.seed + 7919 * ++this.generation,
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
