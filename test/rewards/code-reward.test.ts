import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectSandboxIsolation, findPython, type Kernel } from '@aligntune/core';
import { extractCode, testCases } from '@aligntune/plugin-rewards-builtin';
import { builtinKernel, rewardFromSpec, scoreWith } from './helpers.js';

const [python, isolation] = await Promise.all([findPython(), detectSandboxIsolation()]);
const canExecute = isolation === 'namespaces';

let kernel: Kernel;
beforeAll(() => {
  kernel = builtinKernel();
});

const fence = (language: string, code: string) => `Here you go:\n\`\`\`${language}\n${code}\n\`\`\`\nDone.`;

describe('code extraction', () => {
  it('takes the preferred fenced block, else the first, else the whole text', () => {
    const text = `${fence('js', 'let a = 1;')}\n${fence('python', 'a = 1')}`;
    expect(extractCode(text)).toEqual({ language: 'javascript', code: 'let a = 1;\n' });
    expect(extractCode(text, 'python')).toEqual({ language: 'python', code: 'a = 1\n' });
    expect(extractCode('x = 1')).toEqual({ language: null, code: 'x = 1' });
    expect(extractCode('   ')).toBeNull();
  });

  it('reads test cases from lists, JSON-encoded lists and single strings', () => {
    expect(testCases(['assert f(1) == 1', ''])).toEqual(['assert f(1) == 1']);
    expect(testCases('["assert a", "assert b"]')).toEqual(['assert a', 'assert b']);
    expect(testCases('assert f(2) == 2')).toEqual(['assert f(2) == 2']);
    expect(testCases(undefined)).toEqual([]);
  });
});

describe('code reward: syntax only (no tests)', () => {
  it('JavaScript and TypeScript through the TypeScript parser: 1 if it parses, else 0', async () => {
    const completions = [fence('js', 'function f(x) { return x + 1; }'), fence('js', 'function f( { return 1 }'), fence('ts', 'const n: number = 1;'), fence('js', 'const n: number = 1;')];
    expect(await scoreWith(kernel, 'code', completions)).toEqual([1, 0, 1, 0]);
  });

  it.skipIf(!python)('Python through compile(): 1 if it parses, else 0; untagged code defaults to Python', async () => {
    const completions = [fence('python', 'def f(x):\n    return x + 1'), fence('py', 'def f(:\n    pass'), 'print("hi")', ''];
    expect(await scoreWith(kernel, 'code', completions)).toEqual([1, 0, 1, 0]);
  });
});

describe.skipIf(!canExecute || !python)('code reward: tests executed in the sandbox (Python)', () => {
  const tests = ['assert add(1, 2) == 3', 'assert add(-1, 1) == 0', 'assert add(2, 2) == 4'];

  it('reward = fraction of tests passed', async () => {
    const correct = fence('python', 'def add(a, b):\n    return a + b');
    const multiply = fence('python', 'def add(a, b):\n    return a * b'); // only add(2, 2) passes
    const broken = fence('python', 'def add(a, b)\n    return a + b');
    const crashes = fence('python', 'raise SystemExit(0)\ndef add(a, b):\n    return a + b');
    const scores = await scoreWith(kernel, 'code', [correct, multiply, broken, crashes], { test_list: [tests, tests, tests, tests] });
    expect(scores).toEqual([3 / 3, 1 / 3, 0, 0]);
  });

  it('counts the tests that passed before a hang; the hang is killed at the timeout', async () => {
    const code = fence('python', 'def add(a, b):\n    while a == 99:\n        pass\n    return a + b');
    const started = Date.now();
    const scores = await scoreWith(kernel, 'code:timeout=1.5', [code], { tests: [['assert add(1, 2) == 3', 'assert add(99, 1) == 100']] });
    expect(scores).toEqual([1 / 2]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not count "pass" lines the solution prints itself', async () => {
    const code = fence('python', 'for i in range(3):\n    print(f"pass {i}")\n    print(f"0123456789abcdef0123456789abcdef pass {i}")\ndef add(a, b):\n    return -99');
    expect(await scoreWith(kernel, 'code', [code], { test_list: [tests] })).toEqual([0]);
  });

  it('runs MBPP-style setup code and JSON-encoded test lists', async () => {
    const code = fence('python', 'def double(x):\n    return 2 * x');
    const scores = await scoreWith(kernel, 'code', [code], { test_list: [JSON.stringify(['assert double(K) == 6'])], test_setup_code: ['K = 3'] });
    expect(scores).toEqual([1]);
  });

  it('execute=false only checks syntax', async () => {
    const code = fence('python', 'def add(a, b):\n    return 0');
    expect(await scoreWith(kernel, 'code:execute=false', [code], { test_list: [tests] })).toEqual([1]);
  });
});

describe.skipIf(!canExecute)('code reward: tests executed in the sandbox (JavaScript, TypeScript)', () => {
  it('runs assert-based tests against the solution', async () => {
    const tests = ['assert.strictEqual(add(1, 2), 3)', 'assert.strictEqual(add(2, 2), 4)'];
    const js = fence('javascript', 'function add(a, b) { return a + b; }');
    const ts = fence('ts', 'const add = (a: number, b: number): number => a - b + 2 * b;');
    const wrong = fence('js', 'function add(a, b) { return a * b; }');
    expect(await scoreWith(kernel, 'code', [js, ts, wrong], { tests: [tests, tests, tests] })).toEqual([1, 1, 1 / 2]);
  });

  it('the language param picks the block and the runner', async () => {
    const text = `${fence('python', 'def add(a, b): return a + b')}\n${fence('js', 'function add(a, b) { return a + b; }')}`;
    expect(await scoreWith(kernel, 'code:language=javascript', [text], { tests: [['assert.strictEqual(add(1, 1), 2)']] })).toEqual([1]);
  });
});

describe('code reward params', () => {
  it('rejects bad params, naming the field', async () => {
    await expect(rewardFromSpec(kernel, 'code:language=rust')).rejects.toThrow(/rewards\.0\.language: must be one of "auto", "python"/);
    await expect(rewardFromSpec(kernel, 'code:timeout=0')).rejects.toThrow('rewards.0.timeout: must be a number in [0.1, 600]');
  });
});
