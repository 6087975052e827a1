import { Tokenizer, type TokenizerFiles } from '@aligntune/core';
import { buildTinyChatTokenizerFiles, TINY_CHAT_SPECIAL_TOKENS } from '@aligntune/core/testing';

/** Gemma's special tokens at Gemma's ids 0–3 (<pad>, <eos>, <bos>, <unk>), then its turn markers (ids 105/106 in Gemma 3, 4/5 here). */
export const GEMMA_SPECIAL_TOKENS = ['<pad>', '<eos>', '<bos>', '<unk>', '<start_of_turn>', '<end_of_turn>'] as const;

/** The chat template google/gemma-3-1b-it ships in tokenizer_config.json (text parts; images become <start_of_image>). */
export const GEMMA3_CHAT_TEMPLATE = `{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}
        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
    {%- else -%}
        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}
                {{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}
                {{ item['text'] | trim }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\\n'}}
{%- endif -%}
`;

/**
 * A Gemma-style tokenizer: the tiny chat tokenizer's BPE with its six special tokens renamed to Gemma's (same ids
 * for <pad>/<eos>/<bos>/<unk> as Gemma), <bos> added by the post-processor, <eos> as eos_token, and Gemma 3's
 * chat template.
 */
export function gemmaTokenizerFiles(): TokenizerFiles {
  const files = buildTinyChatTokenizerFiles();
  const rename = new Map<string, string>(TINY_CHAT_SPECIAL_TOKENS.map((t, i) => [t, GEMMA_SPECIAL_TOKENS[[3, 2, 1, 0, 4, 5][i]!]!]));
  const json = JSON.parse(JSON.stringify(files.tokenizerJson).replace(/<unk>|<s>|<\/s>|<pad>|<\|im_start\|>|<\|im_end\|>/g, (t) => rename.get(t)!)) as Record<string, unknown>;
  // Gemma's ids: <pad> 0, <eos> 1, <bos> 2, <unk> 3 (the tiny tokenizer has <unk> 0, <s> 1, </s> 2, <pad> 3).
  const model = json.model as { vocab: Record<string, number> };
  GEMMA_SPECIAL_TOKENS.forEach((t, id) => (model.vocab[t] = id));
  for (const added of json.added_tokens as Array<{ id: number; content: string }>) added.id = model.vocab[added.content]!;
  const post = json.post_processor as { special_tokens: Record<string, unknown> };
  post.special_tokens = { '<bos>': { id: '<bos>', ids: [2], tokens: ['<bos>'] } };
  const decoder = Object.fromEntries(GEMMA_SPECIAL_TOKENS.map((content, id) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]));
  const tokenizerConfig = { ...files.tokenizerConfig, added_tokens_decoder: decoder, bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>', chat_template: GEMMA3_CHAT_TEMPLATE, tokenizer_class: 'GemmaTokenizer' };
  return { tokenizerJson: json, tokenizerConfig, specialTokensMap: null };
}

export function gemmaTokenizer(): Tokenizer {
  return new Tokenizer(gemmaTokenizerFiles(), 'gemma');
}
