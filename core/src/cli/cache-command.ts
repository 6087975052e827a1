import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { CachingConfig } from '../config/caching-config.js';
import { ConfigLoader } from '../config/config-loader.js';
import { DatasetCache, type CacheEntryInfo } from '../data/dataset-cache.js';
import type { CliContext } from './cli-context.js';

interface RootOptions {
  root?: string;
  config?: string;
  json?: boolean;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `7d`, `12h`, `30m`, `45s`, `2w` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`"${text}" is not a duration; use a number and a unit s, m, h, d or w (e.g. 7d)`);
  return Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
}

/** `aligntune cache ls|verify|clean`: inspect and prune the processed-dataset cache (caching.root). */
export function registerCacheCommand(program: Command, context: CliContext): void {
  const cache = program.command('cache').description('list, verify and clean the processed-dataset cache (caching.root)');
  const withRoot = (command: Command) =>
    command
      .option('--root <dir>', 'cache directory (default: caching.root of --config, else ./cache)')
      .option('-c, --config <file>', 'take caching.root from this config file');

  withRoot(cache.command('ls').description('list cache entries, most recently used first'))
    .option('--json', 'machine-readable output on stdout')
    .action(async (options: RootOptions) => {
      const entries = await cacheAt(options).list();
      context.io.stdout(options.json ? `${JSON.stringify(entries.map(entryJson), null, 2)}\n` : formatEntries(entries));
    });

  withRoot(cache.command('verify').description('read every entry and check its checksum'))
    .option('--remove', 'delete corrupt entries (they are rebuilt on next use anyway)')
    .action(async (options: RootOptions & { remove?: boolean }) => {
      const target = cacheAt(options);
      const total = (await target.list()).length;
      const corrupt = await target.verify({ remove: options.remove });
      for (const entry of corrupt) context.io.stdout(`corrupt  ${entry.key}  ${entry.error}${options.remove ? '  (removed)' : ''}\n`);
      context.io.stdout(`${total - corrupt.length} of ${total} entries ok\n`);
      if (corrupt.length > 0 && !options.remove) {
        throw new Error(`${corrupt.length} corrupt cache entr${corrupt.length === 1 ? 'y' : 'ies'}; remove with --remove (runs rebuild them anyway)`);
      }
    });

  withRoot(cache.command('clean').description('remove entries (all, or those unused for longer than --older-than)'))
    .option('--older-than <age>', 'only entries unused for longer than this, e.g. 7d, 12h', parseDuration)
    .action(async (options: RootOptions & { olderThan?: number }) => {
      const removed = await cacheAt(options).clean({ olderThanMs: options.olderThan });
      const bytes = removed.reduce((sum, e) => sum + e.bytes, 0);
      context.io.stdout(`removed ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'} (${formatBytes(bytes)})\n`);
    });
}

function cacheAt(options: RootOptions): DatasetCache {
  return new DatasetCache(resolve(options.root ?? configRoot(options.config) ?? new CachingConfig().root));
}

/** caching.root from a config file, read without validating the rest (cache commands need nothing else). */
function configRoot(file: string | undefined): string | undefined {
  if (!file) return undefined;
  const caching = ConfigLoader.readFile(file).caching as { root?: unknown } | undefined;
  return typeof caching?.root === 'string' ? caching.root : undefined;
}

function entryJson(entry: CacheEntryInfo): Record<string, unknown> {
  const { header, ...rest } = entry;
  return { ...rest, lastUsed: entry.lastUsed.toISOString(), rows: header?.rows, tokens: header?.tokens, createdAt: header?.createdAt, parts: header?.parts };
}

function formatEntries(entries: CacheEntryInfo[]): string {
  if (entries.length === 0) return 'the dataset cache is empty\n';
  const lines = entries.map((e) => {
    const what = e.header ? `${String(e.header.parts.dataset ?? '?')}:${String(e.header.parts.split ?? '?')}  ${e.header.rows} rows, ${e.header.tokens} tokens` : `unreadable: ${e.error}`;
    return `${e.key.slice(0, 16)}  ${formatBytes(e.bytes).padStart(9)}  ${e.lastUsed.toISOString().slice(0, 16).replace('T', ' ')}  ${what}`;
  });
  return `${lines.join('\n')}\n`;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
