/** Where a final answer was found; the explicit forms earn the math reward's format credit. */
export type AnswerSource = 'boxed' | 'hash' | 'phrase' | 'number';

export interface ExtractedAnswer {
  text: string;
  source: AnswerSource;
}

/**
 * The final answer of a solution, trying in order: the last `\boxed{…}` (or `\fbox{…}`), the last
 * `#### x` (GSM8K), the last "the answer is x" / "answer: x", the last number in the text.
 */
export function extractFinalAnswer(text: string): ExtractedAnswer | null {
  const boxed = lastBoxed(text);
  if (boxed !== null) return { text: boxed, source: 'boxed' };
  const hash = lastMatch(text, /####\s*([^\n]+)/g);
  if (hash) return { text: hash, source: 'hash' };
  const phrase = lastMatch(text, /(?:the\s+(?:final\s+)?answer\s+is|final\s+answer\s*:|answer\s*:)\s*:?\s*([^\n]+)/gi);
  if (phrase) return { text: trimSentence(phrase), source: 'phrase' };
  const number = lastMatch(text, /(-?\d+(?:,\d{3})*(?:\.\d+)?(?:\s*\/\s*\d+)?%?)/g);
  return number ? { text: number, source: 'number' } : null;
}

function lastMatch(text: string, pattern: RegExp): string | null {
  let last: string | null = null;
  for (const match of text.matchAll(pattern)) last = match[1]!.trim();
  return last;
}

/** "42. So we are done" → "42": an answer phrase ends at the sentence's end. */
function trimSentence(text: string): string {
  const end = /\.(?:\s|$)/.exec(text);
  return (end ? text.slice(0, end.index) : text).trim();
}

/** Contents of the last `\boxed{…}`, braces balanced; null when there is none (or it is unclosed). */
function lastBoxed(text: string): string | null {
  const start = Math.max(text.lastIndexOf('\\boxed{'), text.lastIndexOf('\\fbox{'));
  if (start < 0) return null;
  const open = text.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i).trim();
  }
  return null;
}

/** A normalised answer: the numbers it may stand for (a percent is both 50 and 0.5), and canonical text. */
export interface NormalizedAnswer {
  numbers: number[];
  text: string;
}

/**
 * Strips LaTeX and formatting (`$`, `\text{}`, `\left`, `\!`, degrees), a leading `x =`, currency signs,
 * thousands separators and trailing units ("18 dollars", "5 cm"), then reads an integer, decimal, `a/b`,
 * `\frac{a}{b}` or percentage.
 */
export function normalizeAnswer(answer: string): NormalizedAnswer {
  const text = stripFormatting(answer);
  return { numbers: readNumbers(text), text: text.toLowerCase().replace(/\s+/g, '') };
}

function stripFormatting(answer: string): string {
  return answer
    .replace(/\\[dt]?frac/g, '\\frac')
    .replace(/\\(?:text|textbf|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}/g, '$1')
    .replace(/\\left|\\right|\\[!,;: ]|~/g, '')
    .replace(/\^\s*\{?\\circ\}?|°/g, '')
    .replace(/\\%/g, '%')
    .replace(/\\\$|\$/g, '')
    .replace(/^\\\(|\\\)$/g, '')
    .replace(/^[a-z]\s*=\s*/i, '')
    .replace(/^[€£¥]|^(?:usd|rs\.?)\s*/i, '')
    .replace(/[.\s]+$/, '')
    .trim();
}

const NUMBER = '[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:e[+-]?\\d+)?';
const FRACTION = new RegExp(`^([+-]?)\\\\frac\\{(${NUMBER})\\}\\{(${NUMBER})\\}$`, 'i');
const PLAIN = new RegExp(`^(${NUMBER})(?:\\s*/\\s*(${NUMBER}))?\\s*(%)?(?:\\s*[a-z][a-z\\s./²³^0-9]*)?$`, 'i');

function readNumbers(text: string): number[] {
  const fraction = FRACTION.exec(text);
  if (fraction) return finite([(fraction[1] === '-' ? -1 : 1) * (Number(fraction[2]) / Number(fraction[3]))]);
  const plain = PLAIN.exec(withoutThousands(text));
  if (!plain) return [];
  const value = plain[2] !== undefined ? Number(plain[1]) / Number(plain[2]) : Number(plain[1]);
  return finite(plain[3] ? [value, value / 100] : [value]);
}

/** "1,234,567.5" → "1234567.5"; a comma that is not a thousands separator ("1,5") is left, so it fails to parse. */
function withoutThousands(text: string): string {
  return /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)/.test(text) ? text.replace(/,(?=\d{3}(?:\D|$))/g, '') : text;
}

function finite(values: number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

/** Equal when some pair of their numbers is within `tolerance` (absolute), else when their canonical text is. */
export function answersMatch(predicted: NormalizedAnswer, reference: NormalizedAnswer, tolerance: number): boolean {
  if (predicted.numbers.length > 0 && reference.numbers.length > 0) {
    return predicted.numbers.some((p) => reference.numbers.some((r) => Math.abs(p - r) <= tolerance));
  }
  return predicted.text !== '' && predicted.text === reference.text;
}

/** A reference column value as an answer: GSM8K's full solution ("… #### 72") or a bare answer ("72"). */
export function referenceAnswer(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value.trim() === '') return null;
  const explicit = extractFinalAnswer(value);
  return explicit && (explicit.source === 'boxed' || explicit.source === 'hash') ? explicit.text : value.trim();
}
