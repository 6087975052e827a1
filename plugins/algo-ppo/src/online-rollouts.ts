import { EpochCursor, type CursorPosition, type RewardAggregator, type RolloutEngine, type TokenizedDataset } from '@aligntune/core';
import { cutAfterEos, type PpoRollout } from './ppo-rollout.js';

export interface OnlineRolloutOptions {
  readonly responseLength: number;
  readonly temperature: number;
  /** stop_token "eos": sampling stops at EOS. Otherwise every completion is responseLength tokens. */
  readonly stopAtEos: boolean;
  readonly eosTokenId: number;
  readonly shuffle: boolean;
  readonly seed: number;
}

/** Samples one completion per prompt from the current policy and scores it with the reward functions (if any). */
export class OnlineRollouts {
  private readonly prompts: EpochCursor;

  /** The prompt cursor, saved in checkpoints. */
  get position(): CursorPosition {
    return this.prompts.position;
  }

  seek(position: CursorPosition): void {
    this.prompts.seek(position);
  }
  private generation = 0;

  constructor(
    private readonly engine: RolloutEngine,
    private readonly aggregator: RewardAggregator | undefined,
    private readonly data: TokenizedDataset,
    private readonly options: OnlineRolloutOptions,
  ) {
    this.prompts = new EpochCursor(data.size, { shuffle: options.shuffle, seed: options.seed });
  }

  /** The next `count` prompts (epoch order, cycling), one completion each. */
  async sample(count: number): Promise<PpoRollout[]> {
    const { eosTokenId, stopAtEos } = this.options;
    const rows = this.prompts.next(count);
    const { completions } = await this.engine.generate(rows.map((r) => [...this.data.tokens('prompt', r)]), {
      maxNewTokens: this.options.responseLength,
      temperature: this.options.temperature,
      seed: this.options.seed + 7919 * ++this.generation,
      // without a stop token, EOS is sampled like any other token (TRL's stop_token: null)
      ...(stopAtEos ? {} : { eosTokenIds: [] }),
    });
    const cut = completions.map((c) => cutAfterEos(c.tokenIds, eosTokenId, stopAtEos));
    const prompts = rows.map((r) => this.data.row(r).prompt);
    const scores = await this.aggregator?.score({
      prompts,
      completions: completions.map((c) => c.text),
      completionIds: cut.map((c) => [...c.ids]),
      columns: this.data.rewardColumns(rows),
    });
    return completions.map((c, i) => ({
      row: rows[i]!,
      prompt: prompts[i]!,
      promptIds: this.data.tokens('prompt', rows[i]!),
      completionIds: cut[i]!.ids,
      completion: c.text,
      containsEos: cut[i]!.containsEos,
      rewards: Object.fromEntries(Object.entries(scores?.raw ?? {}).map(([name, values]) => [name, values[i] ?? null])),
      ruleScore: scores?.total[i] ?? null,
    }));
  }

}
