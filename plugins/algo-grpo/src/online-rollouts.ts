import { EpochCursor, type CursorPosition, type RewardAggregator, type RolloutEngine, type TokenizedDataset } from '@aligntune/core';
import { tiedGroups } from './advantages.js';
import { untilFirstEos, type Rollout } from './rollout.js';

export interface OnlineRolloutOptions {
  readonly groupSize: number;
  readonly maxCompletionLength: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  /** DAPO dynamic sampling: extra rounds allowed to replace groups whose rewards tie; 0 = keep every group. */
  readonly maxResample: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly eosTokenId: number;
}

export interface SampledBatch {
  readonly rollouts: Rollout[];
  /** Fraction of the first round's groups whose rewards all tie (TRL's frac_reward_zero_std). */
  readonly tiedFraction: number;
  /** Generation rounds it took (1 without dynamic sampling). */
  readonly rounds: number;
}

/** Samples G completions per prompt from the current policy and scores them; prompts cycle through epochs. */
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
    private readonly aggregator: RewardAggregator,
    private readonly data: TokenizedDataset,
    private readonly options: OnlineRolloutOptions,
  ) {
    this.prompts = new EpochCursor(data.size, { shuffle: options.shuffle, seed: options.seed });
  }

  /** `prompts` groups; with dynamic sampling, tied groups are replaced by fresh prompts for up to maxResample rounds. */
  async sample(prompts: number): Promise<SampledBatch> {
    const G = this.options.groupSize;
    const first = await this.round(this.prompts.next(prompts));
    const tied = tiedGroups(first.map((r) => r.total), G);
    const tiedFraction = tied.filter(Boolean).length / tied.length;
    if (this.options.maxResample === 0) return { rollouts: first, tiedFraction, rounds: 1 };
    const kept: Rollout[][] = [];
    const spare: Rollout[][] = [];
    const sort = (rollouts: Rollout[]) => {
      for (const group of groups(rollouts, G)) (tiedGroups(group.map((r) => r.total), G)[0] ? spare : kept).push(group);
    };
    sort(first);
    let rounds = 1;
    while (kept.length < prompts && rounds <= this.options.maxResample) {
      sort(await this.round(this.prompts.next(prompts - kept.length)));
      rounds++;
    }
    // out of rounds: fill up with tied groups (advantage 0: no gradient, but the batch keeps its size)
    const chosen = [...kept, ...spare].slice(0, prompts);
    return { rollouts: chosen.flat(), tiedFraction, rounds };
  }


  /** One generation call over `rows` (G samples each), then one reward call. */
  private async round(rows: readonly number[]): Promise<Rollout[]> {
    const { groupSize: G, eosTokenId } = this.options;
    const { completions } = await this.engine.generate(rows.map((r) => [...this.data.tokens('prompt', r)]), {
      maxNewTokens: this.options.maxCompletionLength,
      temperature: this.options.temperature,
      topK: this.options.topK,
      topP: this.options.topP,
      numReturnSequences: G,
      seed: this.options.seed + 7919 * ++this.generation,
    });
    const sampleRows = completions.map((c) => rows[c.promptIndex]!);
    const prompts = sampleRows.map((r) => this.data.row(r).prompt);
    const trimmed = completions.map((c) => untilFirstEos(c.tokenIds, eosTokenId));
    const scores = await this.aggregator.score({
      prompts,
      completions: completions.map((c) => c.text),
      completionIds: trimmed.map((t) => [...t.ids]),
      columns: this.data.rewardColumns(sampleRows),
    });
    return completions.map((c, i) => ({
      row: sampleRows[i]!,
      prompt: prompts[i]!,
      promptIds: this.data.tokens('prompt', sampleRows[i]!),
      completionIds: trimmed[i]!.ids,
      completion: c.text,
      terminated: trimmed[i]!.terminated,
      rewards: Object.fromEntries(Object.entries(scores.raw).map(([name, values]) => [name, values[i] ?? null])),
      total: scores.total[i] ?? null,
      advantage: 0,
    }));
  }
}

function groups<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}
