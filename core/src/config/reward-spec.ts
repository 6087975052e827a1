import { describeFields } from './config-fields.js';
import { ConfigValidationError, formatIssue } from './config-validation-error.js';
import { REWARD_KEYS, RewardConfig } from './reward-config.js';
import { coerceScalar, parseTypedValue } from './typed-value.js';
import { validateSection } from './validate-section.js';

/**
 * Reward spec strings (`--reward`, or a string entry in `rewards:`):
 *
 *   type[:weight=W][:key=value...]      e.g. length:weight=1.0:min_length=10:max_length=200
 *   type:W[:key=value...]               the spec's positional form, e.g. math:0.8:tolerance=1e-6
 *
 * `weight`, `shield`, `clip` and `normalize` are RewardConfig fields (typed); every other key is a reward
 * parameter, coerced from its text (true/false, null, numbers, "quoted strings", [flow], else a string).
 * A value containing ':' must be double-quoted: `regex:pattern="a:b"`.
 */
export function parseRewardSpec(spec: string): RewardConfig {
  const plain = rewardSpecToPlain(spec);
  const { instance, issues } = validateSection(RewardConfig, plain, '');
  if (issues.length > 0) throw specError(spec, issues.map((i) => formatIssue(i)).join('; '));
  return instance;
}

/** The spec as a plain RewardConfig mapping with `params`. Throws on syntax errors. */
export function rewardSpecToPlain(spec: string): Record<string, unknown> {
  const segments = splitSegments(spec);
  const [type, ...rest] = segments;
  if (!type || type.text.trim() === '') throw specError(spec, 'missing reward type at the start');
  if (type.text.includes('=')) throw specError(spec, `must start with the reward type, not "${type.text}"`);
  const plain: Record<string, unknown> = { type: type.text };
  const params: Record<string, unknown> = {};
  rest.forEach((segment, index) => addSegment(spec, segment, index === 0, plain, params));
  plain.params = params;
  return plain;
}

interface Segment {
  text: string;
  at: number;
}

/** Splits on ':' outside double quotes, remembering where each segment starts. */
function splitSegments(spec: string): Segment[] {
  const segments: Segment[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= spec.length; i++) {
    const ch = spec[i];
    if (ch === '"' && spec[i - 1] !== '\\') quoted = !quoted;
    if ((ch === ':' && !quoted) || i === spec.length) {
      segments.push({ text: spec.slice(start, i), at: start });
      start = i + 1;
    }
  }
  if (quoted) throw specError(spec, 'unterminated double quote');
  return segments;
}

const CONFIG_KEYS = REWARD_KEYS.filter((k) => k !== 'type' && k !== 'params');

function addSegment(spec: string, segment: Segment, first: boolean, plain: Record<string, unknown>, params: Record<string, unknown>): void {
  const { text, at } = segment;
  if (text === '') throw specError(spec, `empty segment at character ${at} (doubled ':'?)`);
  const eq = text.indexOf('=');
  if (eq < 0) {
    if (first) return void setKey(spec, plain, 'weight', text, at);
    throw specError(spec, `"${text}" at character ${at} is not key=value (only the second segment may be a bare weight)`);
  }
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  if (key === '') throw specError(spec, `missing key before '=' at character ${at}`);
  if ((CONFIG_KEYS as readonly string[]).includes(key)) return void setKey(spec, plain, key, raw, at);
  if (key in params) throw specError(spec, `"${key}" is given twice (at character ${at})`);
  params[key] = coerceScalar(raw);
}

function setKey(spec: string, plain: Record<string, unknown>, key: string, raw: string, at: number): void {
  if (key in plain) throw specError(spec, `"${key}" is given twice (at character ${at})`);
  const parsed = parseTypedValue(raw, describeFields(RewardConfig).get(key));
  if (!parsed.ok) throw specError(spec, `${key} at character ${at} ${parsed.message}`);
  plain[key] = parsed.value;
}

function specError(spec: string, message: string): ConfigValidationError {
  return new ConfigValidationError([{ path: `reward spec "${spec}"`, message }]);
}
