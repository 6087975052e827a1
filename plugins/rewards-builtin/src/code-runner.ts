import { randomBytes } from 'node:crypto';
import { findPython, nodeInterpreter, runSandboxed, type SandboxLimits, type SandboxRequest } from '@aligntune/core/training';
import type { CodeLanguage } from './code-extract.js';
import { JAVASCRIPT_HARNESS, PYTHON_HARNESS } from './code-harness.js';
import { transpileTypeScript } from './syntax-check.js';

export interface TestRun {
  code: string;
  language: CodeLanguage;
  tests: string[];
  /** Run after the solution, before the tests (MBPP's `test_setup_code`). */
  setup?: string;
  limits: Partial<SandboxLimits>;
  isolation: 'namespaces' | 'limits-only';
}

/** How many of the tests passed (each one at most once), or null when the language has no interpreter here. */
export async function countPassedTests(run: TestRun): Promise<number | null> {
  const nonce = randomBytes(16).toString('hex');
  const request = await sandboxRequest(run);
  if (!request) return null;
  const result = await runSandboxed({ ...request, stdin: `${nonce}\n`, limits: run.limits, isolation: run.isolation });
  const passed = new Set<number>();
  for (const match of result.stdout.matchAll(new RegExp(`^${nonce} pass (\\d+)$`, 'gm'))) passed.add(Number(match[1]));
  return [...passed].filter((i) => i < run.tests.length).length;
}

async function sandboxRequest(run: TestRun): Promise<Omit<SandboxRequest, 'limits' | 'isolation' | 'stdin'> | null> {
  const spec = JSON.stringify({ tests: run.tests, setup: run.setup ?? '' });
  if (run.language === 'python') {
    const python = await findPython();
    if (!python) return null;
    return {
      files: { 'harness.py': PYTHON_HARNESS, 'solution.py': run.code, 'tests.json': spec },
      argv: (dir) => [python.path, '-I', `${dir}/harness.py`],
      readOnlyPaths: python.readOnlyPaths,
    };
  }
  const code = run.language === 'typescript' ? await transpileTypeScript(run.code) : run.code;
  const node = nodeInterpreter();
  return {
    files: { 'harness.cjs': JAVASCRIPT_HARNESS, 'solution.js': code, 'tests.json': spec },
    // Node's permission model on top of the OS limits: no files outside the directory, no child processes, no workers.
    argv: (dir) => [
      node.path,
      '--experimental-permission',
      `--allow-fs-read=${dir}/*`,
      `--allow-fs-write=${dir}/*`,
      '--disable-warning=ExperimentalWarning',
      '--max-old-space-size=256',
      `${dir}/harness.cjs`,
    ],
    readOnlyPaths: node.readOnlyPaths,
  };
}
