import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { JsonFields, parseModelHead } from '@aligntune/core/models';

/** `name` or `org/name`: anything else that does not exist locally can only be a mistyped path. */
const HUB_ID = /^[\w-][\w.-]*(\/[\w-][\w.-]*)?$/;

/** True when `value` cannot be a Hub id, so a missing directory is an error at validation rather than a download attempt. */
export function looksLikePath(value: string): boolean {
  return isAbsolute(value) || value.startsWith('.') || value.startsWith('~') || !HUB_ID.test(value);
}

/** What a classifier checkpoint's config.json says about its head: enough to check `label=` without its architecture. */
export interface ClassifierHead {
  readonly numLabels: number;
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * Reads and checks a local checkpoint's config.json: a `*ForSequenceClassification` head. Synchronous, so params
 * validation can run it and report the problem under `rewards.N.model`; whether an installed architecture plugin
 * reads its model_type is known only through the kernel, when the model loads.
 */
export function readClassifierHead(dir: string): ClassifierHead {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir}: no such model directory`);
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new Error(`${dir}: not a Hugging Face model directory (no config.json)`);
  const raw = readJson(file);
  if (typeof raw.model_type !== 'string') throw new Error(`${dir}: config.json has no model_type (${archLabel(raw)})`);
  const { head } = parseModelHead(new JsonFields(raw, file));
  if (head.kind !== 'sequence-classification') {
    throw new Error(`${dir}: not a sequence-classification checkpoint (${archLabel(raw)}; needs *ForSequenceClassification with a score head)`);
  }
  return { numLabels: head.numLabels, raw };
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

function archLabel(raw: Record<string, unknown>): string {
  const archs = Array.isArray(raw.architectures) ? raw.architectures.join(', ') : 'none';
  return `model_type ${JSON.stringify(raw.model_type ?? null)}, architectures ${archs}`;
}

/** The checkpoint's label names by index, from id2label (transformers' `LABEL_i` where it has none). */
export function labelNames(head: ClassifierHead): string[] {
  const id2label = (head.raw.id2label ?? {}) as Record<string, unknown>;
  return Array.from({ length: head.numLabels }, (_, i) => (typeof id2label[String(i)] === 'string' ? (id2label[String(i)] as string) : `LABEL_${i}`));
}

/**
 * Which label's probability is the reward: null for a single-score head (the raw score is used). With
 * `label`, the label of that name (case-insensitive) or id; otherwise the one label whose name matches
 * /pos/i. Anything ambiguous is an error, since guessing would silently train towards the wrong class.
 */
export function positiveLabel(head: ClassifierHead, label: string | number | undefined): number | null {
  const names = labelNames(head);
  if (names.length === 1) {
    if (label !== undefined) throw new Error(`label=${label} needs a checkpoint with 2 or more labels; this one has a single score (num_labels 1)`);
    return null;
  }
  const list = names.map((n, i) => `${i}: ${n}`).join(', ');
  if (label !== undefined) {
    const key = String(label).toLowerCase();
    const index = names.findIndex((n, i) => n.toLowerCase() === key || String(i) === key);
    if (index < 0) throw new Error(`label "${label}" is not one of the checkpoint's labels (${list})`);
    return index;
  }
  const matches = names.flatMap((n, i) => (/pos/i.test(n) ? [i] : []));
  if (matches.length !== 1) throw new Error(`cannot tell which label is positive (${list}): name it with label=`);
  return matches[0]!;
}

/**
 * Logits of one row → reward: the raw score for one label; otherwise 2p − 1 with p the softmax probability
 * of the positive label, which puts classifier and lexicon rewards on the same [−1, 1] scale.
 */
export function classifierReward(logits: ArrayLike<number>, positive: number | null): number {
  if (positive === null) return Number(logits[0]);
  const values = Array.from(logits, Number);
  const max = Math.max(...values);
  const total = values.reduce((sum, x) => sum + Math.exp(x - max), 0);
  return (2 * Math.exp(values[positive]! - max)) / total - 1;
}
