/**
 * W&B's clients write history and summary lines in "extended JSON": JSON plus the bare tokens `NaN`,
 * `Infinity` and `-Infinity`, so a diverging loss shows up as NaN in the UI instead of vanishing.
 */
/** A NUL-prefixed marker for non-finite numbers while (de)serializing; no metric name or logged text holds one. */
const SENTINEL = '\u0000wandb-nonfinite:';
/** The marker as it reads inside JSON text (JSON.stringify escapes the NUL). */
const ESCAPED = '\\u0000wandb-nonfinite:';

export function toExtendedJson(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `${SENTINEL}${v}` : v));
  return json.replace(/"\\u0000wandb-nonfinite:(NaN|Infinity|-Infinity)"/g, '$1');
}

const TOKENS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** Parses a line written by `toExtendedJson` (or a W&B client): bare non-finite tokens outside strings become numbers. */
export function parseExtendedJson(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    const token = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
    if (token) {
      out += `"${ESCAPED}${token}"`;
      i += token.length - 1;
    } else out += ch;
  }
  return JSON.parse(out, (_key, v: unknown) => (typeof v === 'string' && v.startsWith(SENTINEL) ? TOKENS[v.slice(SENTINEL.length)] : v));
}
