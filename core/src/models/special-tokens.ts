/** The special-token attributes transformers knows, as spelled in tokenizer_config.json. */
export const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;
export type SpecialTokenKey = (typeof SPECIAL_TOKEN_KEYS)[number];

/** A token field is a string or an AddedToken object ({content, ...}, sometimes with "__type"). */
export function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return null;
}

/**
 * Special tokens as transformers resolves them: tokenizer_config.json wins, special_tokens_map.json
 * fills the gaps.
 */
export function resolveSpecialTokens(
  config: Readonly<Record<string, unknown>>,
  specialTokensMap: Readonly<Record<string, unknown>> | null,
): Partial<Record<SpecialTokenKey, string>> {
  const out: Partial<Record<SpecialTokenKey, string>> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const value = tokenContent(config[key]) ?? tokenContent(specialTokensMap?.[key]);
    if (value !== null) out[key] = value;
  }
  return out;
}
