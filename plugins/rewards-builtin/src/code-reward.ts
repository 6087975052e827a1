import { availableParallelism } from 'node:os';
import { Bool, Describe, NumberRange, OneOf, PositiveInt } from '@aligntune/core/config';
import { Reward, Tokens, inject, optional } from '@aligntune/core/kernel';
import { detectSandboxIsolation, type RewardBatch } from '@aligntune/core/training';
import { CODE_LANGUAGES, extractCode, testCases, type CodeLanguage } from './code-extract.js';
import { countPassedTests } from './code-runner.js';
import { mapConcurrent } from './map-concurrent.js';
import { syntaxOk } from './syntax-check.js';

export class CodeParams {
  @Describe('Language of the code: auto (from the fence tag, else python), python, javascript, typescript. Default auto.')
  @OneOf(['auto', ...CODE_LANGUAGES])
  language: 'auto' | CodeLanguage = 'auto';

  @Describe('Run the test cases (test_list / tests column) in the sandbox. Default true.')
  @Bool()
  execute = true;

  @Describe('Wall-clock seconds per sample; also its CPU-time limit. Default 10.')
  @NumberRange(0.1, 600)
  timeout = 10;

  @Describe('Address-space limit per process in MiB (Node needs about 1024). Default 1024.')
  @PositiveInt()
  memory_mb = 1024;

  @Describe('Refuse to execute (reward null) when the machine cannot give the sandbox its own namespaces. Default true.')
  @Bool()
  require_isolation = true;

  @Describe('Samples executed at once. Default: the number of CPUs.')
  @PositiveInt()
  max_concurrency = availableParallelism();
}

/**
 * Code correctness: the fraction of the sample's test cases that pass when the completion's code runs in the
 * sandbox; with no test cases (or `execute=false`), 1 if the code parses, else 0. Code that does not parse
 * scores 0 without running. Null when the language cannot be checked or run here.
 */
@Reward('code', { params: CodeParams, description: 'fraction of test cases passed in the sandbox (syntax check without tests)' })
export class CodeReward {
  private warnedIsolation = false;

  constructor(
    @inject(Tokens.Params) private readonly params: CodeParams,
    @inject(Tokens.Logger) @optional() private readonly logger?: { warn(message: string): void },
  ) {}

  score({ completions, columns }: RewardBatch): Promise<(number | null)[]> {
    const tests = columns.test_list ?? columns.tests ?? [];
    const setups = columns.test_setup_code ?? [];
    return mapConcurrent(completions, this.params.max_concurrency, (text, i) =>
      this.scoreOne(text, testCases(tests[i]), typeof setups[i] === 'string' ? setups[i] : undefined),
    );
  }

  private async scoreOne(text: string, tests: string[], setup: string | undefined): Promise<number | null> {
    const preferred = this.params.language === 'auto' ? undefined : this.params.language;
    const block = extractCode(text, preferred);
    if (!block) return 0;
    const language = preferred ?? block.language ?? 'python';
    const execute = this.params.execute && tests.length > 0;
    // Python is parsed by the interpreter anyway when its tests run (code that does not parse passes none),
    // so a separate sandboxed compile() would only double the cost.
    if (!execute || language !== 'python') {
      const parses = await syntaxOk(language, block.code);
      if (parses !== true) return parses === null ? null : 0;
      if (!execute) return 1;
    }
    const isolation = await this.isolation();
    if (!isolation) return null;
    const limits = { cpuSeconds: Math.ceil(this.params.timeout), timeoutMs: this.params.timeout * 1000, memoryBytes: this.params.memory_mb * 1024 ** 2 };
    const passed = await countPassedTests({ code: block.code, language, tests, setup, limits, isolation });
    return passed === null ? null : passed / tests.length;
  }

  private async isolation(): Promise<'namespaces' | 'limits-only' | null> {
    const available = await detectSandboxIsolation();
    if (available === 'namespaces' || !this.params.require_isolation) return available;
    if (!this.warnedIsolation) {
      this.warnedIsolation = true;
      (this.logger ?? console).warn('code reward: this machine cannot isolate the sandbox in namespaces, so test cases are not run (reward null); set require_isolation=false to run them with resource limits only (see docs/security.md)');
    }
    return null;
  }
}
