export type CodeLanguage = 'python' | 'javascript' | 'typescript';

export const CODE_LANGUAGES: readonly CodeLanguage[] = ['python', 'javascript', 'typescript'];

const FENCE_TAGS: Record<string, CodeLanguage> = {
  py: 'python',
  python: 'python',
  python3: 'python',
  js: 'javascript',
  javascript: 'javascript',
  node: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  ts: 'typescript',
  typescript: 'typescript',
};

export interface CodeBlock {
  /** From the fence's info string; null when untagged or when the completion had no fence. */
  language: CodeLanguage | null;
  code: string;
}

/**
 * The code of a completion: the first fenced block in `preferred` language if there is one, else the first
 * fenced block, else (no fence at all) the whole completion. Null when that is blank.
 */
export function extractCode(text: string, preferred?: CodeLanguage): CodeBlock | null {
  const blocks = [...text.matchAll(/```[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)```/g)].map(
    (match): CodeBlock => ({ language: FENCE_TAGS[match[1]!.toLowerCase()] ?? null, code: match[2]! }),
  );
  const chosen = blocks.find((block) => block.language === preferred) ?? blocks[0];
  if (chosen) return chosen.code.trim() ? chosen : null;
  return text.trim() ? { language: null, code: text } : null;
}

/**
 * Test cases of one sample: a list of strings (MBPP's `test_list`), a JSON-encoded list (list columns that a
 * parquet writer stored as text), or one string holding them all. Empty when there are none.
 */
export function testCases(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string' && t.trim() !== '');
  if (typeof value !== 'string' || value.trim() === '') return [];
  if (value.trim().startsWith('[')) {
    try {
      return testCases(JSON.parse(value));
    } catch {
      // not JSON: one test written in the language itself (a list literal, say)
    }
  }
  return [value];
}
