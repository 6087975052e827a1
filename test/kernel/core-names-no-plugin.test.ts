import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/temp-project.js';

const CORE_SRC = join(REPO_ROOT, 'core/src');
const PLUGINS = join(REPO_ROOT, 'plugins');

/** Every contribution id the workspace's plugins declare, from their manifests and their decorators' string arguments. */
function pluginIds(): Set<string> {
  const ids = new Set<string>();
  for (const plugin of readdirSync(PLUGINS)) {
    const manifest = JSON.parse(readFileSync(join(PLUGINS, plugin, 'package.json'), 'utf8')) as { aligntune?: { provides?: Record<string, string[]> } };
    for (const list of Object.values(manifest.aligntune?.provides ?? {})) list.forEach((id) => ids.add(id));
    for (const file of sourceFiles(join(PLUGINS, plugin, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const call of text.matchAll(/@(?:Algorithm|Reward|Task|ComputeBackend|DistributedBackend|MetricLogger|DatasetLoader|SchemaAdapter|Architecture)\(([^)]*)/g)) {
        for (const literal of call[1]!.matchAll(/^\s*['"]([^'"]+)['"]|,\s*['"]([^'"]+)['"]/g)) ids.add(literal[1] ?? literal[2]!);
      }
    }
  }
  return ids;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Code only: comments and the documentation decorators (@Describe, @Examples) may name ids as examples. */
function codeLines(text: string): Array<{ line: number; code: string }> {
  const withoutBlocks = text.replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '));
  return withoutBlocks.split('\n').flatMap((raw, index) => {
    const code = raw.replace(/(^|[^:'"`])\/\/.*$/, '$1');
    return /^\s*@(Describe|Examples)\(/.test(code) ? [] : [{ line: index + 1, code }];
  });
}

/**
 * Where core may still name an id, and why. Each entry must still match (a stale entry fails too), so the list
 * only shrinks. `file` is relative to core/src; `text` is a substring of the line.
 */
const ALLOWED: ReadonlyArray<{ file: string; text: string; why: string }> = [
  { file: 'config/algorithm-type.ts', text: '', why: "the seed's AlgorithmType enum, kept for the seed's API" },
  { file: 'config/distributed-config.ts', text: "SPEC_DISTRIBUTED_BACKENDS = ['single'", why: "the seed's distributed backend names (spec: backend: single)" },
  { file: 'config/distributed-config.ts', text: "backend = 'single'", why: "the seed's default distributed backend" },
  { file: 'config/unsupported-features.ts', text: 'single',  why: 'the seed default backend runs one process (nodes, gpus_per_node must be 1)' },
  { file: 'config/compute-config.ts', text: "HOST_DEVICE = 'cpu'", why: 'a device kind (the host processor), the default compute.device; no backend id' },
  { file: 'config/task-config.ts', text: 'TASK_EXAMPLES', why: "the spec's task names, shown as @Examples in the reference docs" },
  { file: 'data/hub/hub-settings.ts', text: "'huggingface'", why: "the Hugging Face cache directory (~/.cache/huggingface), not the loader" },
  { file: 'models/rollout/rollout-engine.ts', text: "'length'", why: 'the finish reason "length" (max_new_tokens reached), not the length reward' },
  { file: 'engine/onnx/onnx-encoder.ts', text: "'length'", why: 'an ONNX external-data key' },
  { file: 'cli/report/report-page.ts', text: "'reward'", why: 'a metric name' },
  { file: 'cli/report/metric-charts.ts', text: "'reward'", why: 'a chart of reward metrics' },
  { file: 'cli/reward-command.ts', text: "'reward'", why: 'the `aligntune reward` command' },
  { file: 'training/online/replay-rollouts.ts', text: 'reward', why: 'the "reward" column of a replay file (TRL\'s name for a rollout\'s total score), not the reward algorithm' },
  { file: 'kernel/plugin-manifest.ts', text: 'PROVIDES_EXAMPLE', why: 'the extension kind "reward" in an example manifest, not an id' },
];

/** The extension kinds are core's own vocabulary; `reward` is also an algorithm id, so it is told apart by kind usage below. */
const KIND_NAMES = new Set(['reward', 'task', 'algorithm', 'architecture']);

describe('core names no plugin', () => {
  it('no file in core/src names a backend, algorithm, task, reward, loader, logger or architecture id outside the allow-list', () => {
    const ids = [...pluginIds()].filter((id) => !KIND_NAMES.has(id) || id === 'reward');
    expect(ids).toEqual(expect.arrayContaining(['cpu', 'dpo', 'grpo', 'math', 'code', 'length', 'gpt2', 'llama', 'local', 'wandb', 'single']));
    const pattern = new RegExp(`(['"\`])(${ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\1`);
    const used = new Set<number>();
    const hits: string[] = [];
    for (const file of sourceFiles(CORE_SRC)) {
      const name = relative(CORE_SRC, file);
      for (const { line, code } of codeLines(readFileSync(file, 'utf8'))) {
        const match = pattern.exec(code);
        if (!match || isKindUse(code, match[2]!)) continue;
        const allowed = ALLOWED.findIndex((entry) => entry.file === name && code.includes(entry.text));
        if (allowed >= 0) used.add(allowed);
        else hits.push(`core/src/${name}:${line}: ${code.trim()}`);
      }
    }
    expect(hits).toEqual([]);
    expect(ALLOWED.filter((_, index) => !used.has(index)).map((entry) => entry.file)).toEqual([]);
  });
});

/** `'reward'` as the extension kind (kernel.ensure('reward', ...), kind === 'reward', extensionPoint('reward')), not the algorithm. */
function isKindUse(code: string, id: string): boolean {
  if (id !== 'reward') return false;
  return /kind|ensure\(|extensionPoint|contributionDecorator\(|Registry\(|applyEntryParams\(|check\(|'reward' \| 'task'|^\s*\|? ?'reward',?$|reward: 'reward'|\['reward'/.test(code);
}
