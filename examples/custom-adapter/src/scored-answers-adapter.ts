import 'reflect-metadata';
import {
  adapted,
  describeBadField,
  passthroughColumns,
  skipRow,
  textField,
  type AdaptResult,
  type RecordAdapter,
  type Row,
} from '@aligntune/core/data';
import { SchemaAdapter } from '@aligntune/core/kernel';

/** One answer of a row: its text and the score a rater gave it (higher is better). */
export interface ScoredAnswer {
  text: string;
  score: number;
}

/**
 * Rows of `question` plus `answers: [{text, score}, ...]` — several rated answers per question, as Q&A-site
 * and rating-tool exports hold them — read as one preference pair each: the highest-scored answer is chosen,
 * the lowest rejected. `score_chosen` / `score_rejected` pass through to rewards with the row's other columns.
 * A row with fewer than two answers, or whose answers all score the same, states no preference: skipped.
 */
@SchemaAdapter('scored-answers', { description: 'question, answers [{text, score}]: the best and the worst answer as a preference pair' })
export class ScoredAnswersAdapter implements RecordAdapter {
  readonly requiredColumns = ['question', 'answers'];

  adapt(row: Row): AdaptResult {
    const question = textField(row, 'question');
    if (question === undefined) return skipRow(describeBadField(row, 'question', 'text'));
    const answers = scoredAnswers(row.answers);
    if (typeof answers === 'string') return skipRow(answers);
    // stable: among equal scores the answer listed first is preferred
    const ranked = [...answers].sort((a, b) => b.score - a.score);
    const best = ranked[0]!;
    const worst = ranked[ranked.length - 1]!;
    if (best.score === worst.score) return skipRow(`all ${answers.length} answers score ${best.score}: no preference`);
    const extra = { ...passthroughColumns(row, this.requiredColumns), score_chosen: best.score, score_rejected: worst.score };
    return adapted({ prompt: [{ role: 'user', content: question }], chosen: best.text, rejected: worst.text, extra });
  }
}

/** The answers, or the reason they are not a list of at least two `{text, score}`. */
function scoredAnswers(value: unknown): ScoredAnswer[] | string {
  if (!Array.isArray(value)) return 'column "answers" is not a list of {text, score}';
  if (value.length < 2) return `column "answers" holds ${value.length} answer(s); a preference needs two`;
  const bad = value.findIndex((answer) => !isScoredAnswer(answer));
  if (bad >= 0) return `answers[${bad}] is not {text: non-empty text, score: number}`;
  return value as ScoredAnswer[];
}

function isScoredAnswer(value: unknown): value is ScoredAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const { text, score } = value as Partial<ScoredAnswer>;
  return typeof text === 'string' && text.trim() !== '' && typeof score === 'number' && Number.isFinite(score);
}
