/** Words that name the usual splits in file and folder names (as Hugging Face datasets infers them). */
const SPLIT_ALIASES: Record<string, readonly string[]> = {
  train: ['train', 'training'],
  validation: ['validation', 'valid', 'val', 'dev'],
  test: ['test', 'testing', 'eval', 'evaluation'],
};

const ALL_KEYWORDS = Object.values(SPLIT_ALIASES).flat();

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The name appears in the path as a word delimited by - . space digits / (not _, so train_prefs ≠ train). */
function mentions(path: string, word: string, delimiters = '-. 0-9/'): boolean {
  return new RegExp(`(^|[${delimiters}])${escapeRegex(word)}($|[${delimiters}])`, 'i').test(path);
}

/**
 * The files of one split among a dataset's data files: those whose path names the split (or an alias:
 * `val`/`dev` for validation, `eval` for test); when no file names any split at all, every file is `train`.
 * Returns undefined when the split has no file.
 */
export function selectSplitFiles(paths: readonly string[], split: string): string[] | undefined {
  const words = SPLIT_ALIASES[split] ?? [split];
  const named = paths.filter((path) => words.some((word) => mentions(path, word)));
  if (named.length > 0) return named;
  const anySplitNamed = paths.some((path) => ALL_KEYWORDS.some((word) => mentions(path, word, '-._ 0-9/')));
  return split === 'train' && !anySplitNamed && paths.length > 0 ? [...paths] : undefined;
}

/** Split-like names found in file names (`train`, `test_prefs`...), for "split not found" messages. */
export function splitsFound(paths: readonly string[]): string[] {
  const names = new Set<string>();
  for (const path of paths) {
    const stem = (path.split('/').pop() ?? path).replace(/\..*$/, '').replace(/([-_]\d+)*(-of-\d+)?$/, '');
    if (ALL_KEYWORDS.some((word) => mentions(stem, word, '-._ 0-9/'))) names.add(stem);
  }
  return [...names].sort();
}
