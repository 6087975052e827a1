import { Describe, NonEmptyStr } from '@aligntune/core/config';
import { Reward, Tokens, inject } from '@aligntune/core/kernel';
import { type RewardBatch } from '@aligntune/core/training';

export class ThinkFormatParams {
  @Describe('Tag around the reasoning. Default "think".')
  @NonEmptyStr()
  think_tag = 'think';

  @Describe('Tag around the final answer. Default "answer".')
  @NonEmptyStr()
  answer_tag = 'answer';
}

/**
 * The reasoning-format reward of DeepSeek-R1 / TRL's format reward: 1 when the whole completion is
 * `<think>…</think>` followed by `<answer>…</answer>` (whitespace around and between allowed, each tag
 * exactly once), else 0.
 */
@Reward('think-format', { params: ThinkFormatParams, description: '1 for <think>…</think><answer>…</answer>, else 0' })
export class ThinkFormatReward {
  private readonly pattern: RegExp;
  private readonly tags: string[];

  constructor(@inject(Tokens.Params) params: ThinkFormatParams) {
    const [think, answer] = [escape(params.think_tag), escape(params.answer_tag)];
    this.pattern = new RegExp(`^\\s*<${think}>[\\s\\S]*?</${think}>\\s*<${answer}>[\\s\\S]*?</${answer}>\\s*$`);
    this.tags = [params.think_tag, params.answer_tag].flatMap((tag) => [`<${tag}>`, `</${tag}>`]);
  }

  score({ completions }: RewardBatch): number[] {
    return completions.map((text) => (this.pattern.test(text) && this.tags.every((tag) => count(text, tag) === 1) ? 1 : 0));
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
