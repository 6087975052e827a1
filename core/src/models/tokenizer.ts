import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { writeDataAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { contentHash } from '../util/canonical-json.js';
import { renderChatTemplate, selectChatTemplate, type TemplateMessage, type ChatTemplateField, type ChatTemplateOptions } from './chat-template.js';
import { JsonFields, ModelFileError } from './json-fields.js';
import { resolveSpecialTokens, SPECIAL_TOKEN_KEYS, type SpecialTokenKey } from './special-tokens.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';
/** transformers ≥ 4.49 may store the chat template beside tokenizer_config.json. */
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

/** The JSON files a tokenizer is built from (what a Hugging Face tokenizer directory holds). */
export interface TokenizerFiles {
  readonly tokenizerJson: Readonly<Record<string, unknown>>;
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  readonly specialTokensMap?: Readonly<Record<string, unknown>> | null;
  /** Content of chat_template.jinja, which overrides tokenizer_config's chat_template. */
  readonly chatTemplate?: string | null;
}

export type Side = 'left' | 'right';

export interface EncodeOptions {
  /** Apply the post-processor's special tokens (e.g. Llama's BOS); default true as in transformers. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  readonly skipSpecialTokens?: boolean;
}

export interface PadOptions {
  /** 'longest' (default) pads to the longest row, 'max_length' to maxLength, false not at all. */
  readonly padding?: boolean | 'longest' | 'max_length';
  readonly maxLength?: number;
  readonly paddingSide?: Side;
  readonly padToMultipleOf?: number;
}

export interface BatchEncodeOptions extends EncodeOptions, PadOptions {
  /** Cut rows longer than maxLength (default: model_max_length of tokenizer_config) from truncationSide. */
  readonly truncation?: boolean;
  readonly truncationSide?: Side;
}

export interface BatchEncoding {
  readonly inputIds: number[][];
  readonly attentionMask: number[][];
}

/** Above this, model_max_length is transformers' "unset" sentinel (1e30), not a real limit. */
const MAX_SANE_LENGTH = 1e9;

/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) with what @huggingface/tokenizers lacks:
 * special-token ids, batching with padding and truncation, chat templates, and a content hash.
 *
 * Padding uses the pad token, or the EOS token when the tokenizer has none — what TRL does
 * (`tokenizer.pad_token = tokenizer.eos_token`); attention masks keep the padding out of the loss.
 * Decoding never "cleans up tokenization spaces" unless tokenizer_config asks, so decode(encode(s)) == s.
 */
export class Tokenizer {
  private readonly hf: HfTokenizer;
  private readonly specials: Partial<Record<SpecialTokenKey, string>>;
  private readonly config: JsonFields;
  private hash: string | undefined;
  readonly vocabSize: number;

  constructor(
    readonly files: TokenizerFiles,
    readonly source = '<memory>',
  ) {
    this.config = new JsonFields(files.tokenizerConfig, join(source, TOKENIZER_CONFIG_FILE));
    const clean = this.config.boolOr('clean_up_tokenization_spaces', false);
    this.hf = new HfTokenizer(files.tokenizerJson, { ...files.tokenizerConfig, clean_up_tokenization_spaces: clean });
    this.specials = resolveSpecialTokens(files.tokenizerConfig, files.specialTokensMap ?? null);
    let max = -1;
    for (const id of this.hf.get_vocab(true).values()) max = Math.max(max, id);
    this.vocabSize = max + 1;
  }

  /** Loads tokenizer.json, tokenizer_config.json and, if present, special_tokens_map.json and chat_template.jinja. */
  static async fromDir(dir: string): Promise<Tokenizer> {
    const read = async (name: string, required: boolean) => {
      const file = join(dir, name);
      if (!existsSync(file)) {
        if (required) throw new ModelFileError(file, undefined, `not found (a tokenizer directory needs ${TOKENIZER_FILE})`);
        return null;
      }
      return readFile(file, 'utf8');
    };
    const json = (text: string | null, name: string) => (text === null ? null : JsonFields.parse(text, join(dir, name)).raw);
    const tokenizerJson = json(await read(TOKENIZER_FILE, true), TOKENIZER_FILE)!;
    const tokenizerConfig = json(await read(TOKENIZER_CONFIG_FILE, false), TOKENIZER_CONFIG_FILE) ?? {};
    const specialTokensMap = json(await read(SPECIAL_TOKENS_MAP_FILE, false), SPECIAL_TOKENS_MAP_FILE);
    const chatTemplate = await read(CHAT_TEMPLATE_FILE, false);
    return new Tokenizer({ tokenizerJson, tokenizerConfig, specialTokensMap, chatTemplate }, dir);
  }

  /** The token string of a special-token attribute, or null. */
  token(key: SpecialTokenKey): string | null {
    return this.specials[key] ?? null;
  }

  /** The id of a special-token attribute, or null when unset or not in the vocabulary. */
  tokenId(key: SpecialTokenKey): number | null {
    const t = this.specials[key];
    return t === undefined ? null : (this.hf.token_to_id(t) ?? null);
  }

  get bosTokenId(): number | null {
    return this.tokenId('bos_token');
  }

  get eosTokenId(): number | null {
    return this.tokenId('eos_token');
  }

  /** The tokenizer's own pad token id (null if it has none). */
  get ownPadTokenId(): number | null {
    return this.tokenId('pad_token');
  }

  /** The id used for padding: the pad token, else EOS (as TRL sets it); throws if neither exists. */
  get padTokenId(): number {
    const id = this.ownPadTokenId ?? this.eosTokenId;
    if (id === null) throw new Error(`${this.source}: the tokenizer has neither a pad token nor an EOS token to pad with`);
    return id;
  }

  /** Ids of all special added tokens (what skipSpecialTokens removes). */
  get specialTokenIds(): number[] {
    return [...this.hf.get_added_tokens_decoder().entries()].filter(([, t]) => t.special).map(([id]) => id);
  }

  tokenToId(token: string): number | null {
    return this.hf.token_to_id(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.hf.id_to_token(id) ?? null;
  }

  get paddingSide(): Side {
    return this.side('padding_side');
  }

  get truncationSide(): Side {
    return this.side('truncation_side');
  }

  private side(field: string): Side {
    const v = this.config.stringOr(field, 'right');
    if (v !== 'left' && v !== 'right') this.config.fail(field, `must be "left" or "right", got "${v}"`);
    return v;
  }

  /** model_max_length from tokenizer_config, or null when unset or the "unlimited" sentinel. */
  get modelMaxLength(): number | null {
    const v = this.config.numberOr('model_max_length', Infinity);
    return v > 0 && v < MAX_SANE_LENGTH ? Math.floor(v) : null;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    // The library throws on an empty list; transformers returns "".
    if (ids.length === 0) return '';
    return this.hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  encodeBatch(texts: readonly string[], options: BatchEncodeOptions = {}): BatchEncoding {
    const rows = texts.map((t) => this.encode(t, options));
    return this.pad(options.truncation ? this.truncate(rows, options) : rows, options);
  }

  /** Cuts each row to maxLength from the truncation side. */
  truncate(rows: readonly number[][], options: Pick<BatchEncodeOptions, 'maxLength' | 'truncationSide'> = {}): number[][] {
    const max = options.maxLength ?? this.modelMaxLength;
    if (max === null || max === undefined) throw new Error(`${this.source}: truncation needs maxLength (the tokenizer sets no model_max_length)`);
    const side = options.truncationSide ?? this.truncationSide;
    return rows.map((r) => (r.length <= max ? [...r] : side === 'right' ? r.slice(0, max) : r.slice(r.length - max)));
  }

  /** Pads rows of ids to a common length and builds their attention masks. */
  pad(rows: readonly number[][], options: PadOptions = {}): BatchEncoding {
    const mode = options.padding === undefined || options.padding === true ? 'longest' : options.padding;
    let width = Math.max(0, ...rows.map((r) => r.length));
    if (mode === 'max_length') {
      if (options.maxLength === undefined) throw new Error("padding 'max_length' needs maxLength");
      width = Math.max(width, options.maxLength);
    }
    const multiple = options.padToMultipleOf;
    if (mode !== false && multiple !== undefined && width % multiple !== 0) width += multiple - (width % multiple);
    const side = options.paddingSide ?? this.paddingSide;
    const pad = mode === false ? 0 : this.padTokenId;
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    for (const r of rows) {
      const fill = mode === false ? 0 : width - r.length;
      const padIds = new Array<number>(fill).fill(pad);
      const zeros = new Array<number>(fill).fill(0);
      const ones = new Array<number>(r.length).fill(1);
      inputIds.push(side === 'left' ? [...padIds, ...r] : [...r, ...padIds]);
      attentionMask.push(side === 'left' ? [...zeros, ...ones] : [...ones, ...zeros]);
    }
    return { inputIds, attentionMask };
  }

  get hasChatTemplate(): boolean {
    return this.chatTemplateField() !== undefined;
  }

  private chatTemplateField(): ChatTemplateField | undefined {
    return this.files.chatTemplate ?? (this.files.tokenizerConfig.chat_template as ChatTemplateField | undefined) ?? undefined;
  }

  /** The special tokens as template variables (bos_token, eos_token, ...), as transformers passes them. */
  get templateVariables(): Record<string, string> {
    const vars: Record<string, string> = {};
    for (const key of SPECIAL_TOKEN_KEYS) if (this.specials[key] !== undefined) vars[key] = this.specials[key]!;
    return vars;
  }

  /** Renders the chat template to text. */
  applyChatTemplate(messages: readonly TemplateMessage[], options: ChatTemplateOptions = {}): string {
    const template = selectChatTemplate(this.chatTemplateField(), options, join(this.source, TOKENIZER_CONFIG_FILE));
    return renderChatTemplate(template, messages, this.templateVariables, options);
  }

  /** Renders and encodes a chat; the template supplies all special tokens, so none are added. */
  encodeChat(messages: readonly TemplateMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }

  /**
   * sha256 of the tokenizer's content (tokenizer.json, tokenizer_config.json, special tokens, chat
   * template), independent of key order and file formatting: a key for caches of tokenized data.
   */
  contentHash(): string {
    this.hash ??= contentHash({
      tokenizer: this.files.tokenizerJson,
      config: this.files.tokenizerConfig,
      specialTokensMap: this.files.specialTokensMap ?? null,
      chatTemplate: this.files.chatTemplate ?? null,
    });
    return this.hash;
  }

  /** Writes the tokenizer files to `dir`, each atomically. */
  async save(dir: string): Promise<void> {
    await writeJsonAtomic(join(dir, TOKENIZER_FILE), this.files.tokenizerJson);
    await writeJsonAtomic(join(dir, TOKENIZER_CONFIG_FILE), this.files.tokenizerConfig);
    if (this.files.specialTokensMap) await writeJsonAtomic(join(dir, SPECIAL_TOKENS_MAP_FILE), this.files.specialTokensMap);
    if (this.files.chatTemplate) await writeDataAtomic(join(dir, CHAT_TEMPLATE_FILE), this.files.chatTemplate);
  }
}
