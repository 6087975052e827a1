import { parse } from 'yaml';

/** One `configs:` entry of a dataset card: its name and each split's file patterns. */
export interface CardConfig {
  name: string;
  isDefault: boolean;
  /** split → glob patterns, relative to the repo root (data_dir already applied). */
  splits: Map<string, string[]>;
}

/**
 * The `configs:` of a dataset card's YAML front matter (README.md), the way Hugging Face datasets reads it:
 * `data_files` may be a pattern, a list of patterns (the train split), a list of {split, path}, or a mapping
 * split → pattern(s); `data_dir` prefixes the patterns. Returns [] when the card declares no configs.
 */
export function parseCardConfigs(readme: string): CardConfig[] {
  const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readme);
  if (!match) return [];
  let meta: unknown;
  try {
    meta = parse(match[1]!);
  } catch {
    return [];
  }
  const configs = (meta as { configs?: unknown } | null)?.configs;
  return Array.isArray(configs) ? configs.flatMap(toConfig) : [];
}

function toConfig(entry: unknown): CardConfig[] {
  if (entry === null || typeof entry !== 'object') return [];
  const { config_name, data_files, data_dir, default: isDefault } = entry as Record<string, unknown>;
  const prefix = typeof data_dir === 'string' && data_dir !== '' ? `${data_dir.replace(/\/+$/, '')}/` : '';
  const splits = new Map<string, string[]>();
  for (const [split, patterns] of splitPatterns(data_files ?? '**')) splits.set(split, patterns.map((p) => prefix + p));
  return [{ name: typeof config_name === 'string' ? config_name : 'default', isDefault: isDefault === true, splits }];
}

function splitPatterns(files: unknown): Array<[string, string[]]> {
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v) => typeof v === 'string') : typeof value === 'string' ? [value] : []);
  if (typeof files === 'string') return [['train', [files]]];
  if (Array.isArray(files)) {
    if (files.every((f) => typeof f === 'string')) return [['train', files as string[]]];
    return files.flatMap((f) => (f && typeof f === 'object' && typeof f.split === 'string' ? [[f.split, list(f.path)] as [string, string[]]] : []));
  }
  if (files && typeof files === 'object') return Object.entries(files).map(([split, value]) => [split, list(value)]);
  return [];
}
