import 'reflect-metadata';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSandboxIsolation, findPython, nodeInterpreter, runSandboxed, type SandboxRequest } from '@aligntune/core';
import { REPO_ROOT } from '../helpers/temp-project.js';

const marker = () => `aligntune_probe_${Math.random().toString(36).slice(2, 10)}`;

/** Processes anywhere on the machine whose command line mentions `text` (a unique file name we ran). */
function survivors(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

// Probed before the suites are collected, so a machine without namespaces shows them as skipped, not passed.
const [python, isolation] = await Promise.all([findPython(), detectSandboxIsolation()]);
const namespaces = isolation === 'namespaces' && python !== null;
let privateTmp: string;
const savedTmp = process.env.TMPDIR;

beforeAll(async () => {
  // A private TMPDIR, so "the run left nothing behind" is checked without other test files' runs in it.
  privateTmp = mkdtempSync(join(tmpdir(), 'aligntune-sandbox-test-'));
  chmodSync(privateTmp, 0o755); // limits-only runs as nobody when we are root: it must be able to enter
  process.env.TMPDIR = privateTmp;
});

afterAll(() => {
  process.env.TMPDIR = savedTmp;
  rmSync(privateTmp, { recursive: true, force: true });
});

function runPython(code: string, extra: Partial<SandboxRequest> = {}, file = 'main.py') {
  return runSandboxed({
    files: { [file]: code },
    argv: (dir) => [python!.path, `${dir}/${file}`],
    readOnlyPaths: python!.readOnlyPaths,
    isolation: 'namespaces',
    ...extra,
    limits: { cpuSeconds: 2, timeoutMs: 4000, ...extra.limits },
  });
}

function runNode(code: string, mode: 'namespaces' | 'limits-only', file = 'main.cjs') {
  const node = nodeInterpreter();
  return runSandboxed({
    files: { [file]: code },
    argv: (dir) => [node.path, '--experimental-permission', `--allow-fs-read=${dir}/*`, `--allow-fs-write=${dir}/*`, '--disable-warning=ExperimentalWarning', `${dir}/${file}`],
    readOnlyPaths: node.readOnlyPaths,
    isolation: mode,
    limits: { cpuSeconds: 2, timeoutMs: 4000 },
  });
}

describe.skipIf(!namespaces)('sandbox isolation (namespaces)', () => {

  it('runs a program, passes stdin, captures output and exit code, and leaves no directory behind', async () => {
    const result = await runPython('import sys\nprint(sys.stdin.read().upper())\nsys.exit(3)', { stdin: 'hello' });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'HELLO\n', timedOut: false, isolation: 'namespaces' });
    expect(readdirSync(privateTmp)).toEqual([]);
  });

  it('kills an infinite loop (CPU limit) within the bound', async () => {
    const result = await runPython('while True:\n    pass\n', { limits: { cpuSeconds: 1 } });
    expect(result.exitCode === 0).toBe(false);
    // 1 s of CPU; under a loaded machine the 4 s wall clock may come first, never much later
    expect(result.durationMs).toBeLessThan(4000 + 1500);
  });

  it('kills a sleeping program at the wall-clock timeout', async () => {
    const result = await runPython('import time\ntime.sleep(60)\n', { limits: { timeoutMs: 800 } });
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(3000);
  });

  it('contains a fork bomb (process limit) and nothing survives', async () => {
    const name = `${marker()}.py`;
    const code = 'import os, time\nn = 0\nwhile True:\n    try:\n        os.fork(); n += 1\n    except OSError:\n        time.sleep(0.05)\n';
    const result = await runPython(code, { limits: { timeoutMs: 1500 } }, name);
    expect(result.timedOut).toBe(true);
    expect(survivors(name)).toEqual([]);
  });

  it('kills a daemonised child that left the process group (PID namespace)', async () => {
    const name = `${marker()}.py`;
    const code = 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(30)\nelse:\n    print("parent done")\n';
    const result = await runPython(code, {}, name);
    expect(result.stdout).toContain('parent done');
    expect(survivors(name)).toEqual([]);
  });

  it('refuses a 10 GB allocation (address-space limit)', async () => {
    const result = await runPython('try:\n    b = bytearray(10 * 1024**3)\n    print("allocated")\nexcept MemoryError:\n    print("MemoryError")\n');
    expect(result.stdout.trim()).toBe('MemoryError');
  });

  it('cannot read /etc/passwd or the project files', async () => {
    const targets = ['/etc/passwd', join(REPO_ROOT, 'package.json'), join(REPO_ROOT, 'core/src/index.ts')];
    const code = `import json\nfor p in ${JSON.stringify(targets)}:\n    try:\n        print(open(p).read()[:200])\n    except Exception as e:\n        print("blocked", type(e).__name__)\n`;
    const result = await runPython(code);
    expect(result.stdout.match(/blocked/g)).toHaveLength(3);
    expect(result.stdout).not.toContain('root:');
    expect(result.stdout).not.toContain('aligntune');
  });

  it('cannot write outside its working directory, and its own files vanish', async () => {
    const name = marker();
    // /tmp inside is a private tmpfs: a write there succeeds but never reaches the host's /tmp.
    const blocked = [join(REPO_ROOT, name), `/${name}`, `/usr/${name}`];
    const hostTmp = [join(tmpdir(), name), join(savedTmp ?? '/tmp', name)];
    const targets = [...blocked, ...hostTmp];
    const code = `for p in ${JSON.stringify(targets)} + ["own.txt"]:\n    try:\n        open(p, "w").write("x")\n        print("wrote", p)\n    except Exception as e:\n        print("blocked", p)\n`;
    const result = await runPython(code);
    for (const target of blocked) expect(result.stdout).toContain(`blocked ${target}`);
    expect(result.stdout).toContain('wrote own.txt');
    for (const target of targets) expect(existsSync(target)).toBe(false);
    expect(readdirSync(privateTmp)).toEqual([]);
  });

  describe('network', () => {
    let server: Server;
    let port: number;
    let connections = 0;

    beforeAll(async () => {
      server = createServer((socket) => {
        connections += 1;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('cannot connect to a listener on the host loopback', async () => {
        const code = `import socket\ns = socket.socket()\ns.settimeout(1)\ntry:\n    s.connect(("127.0.0.1", ${port}))\n    print("connected")\nexcept OSError as e:\n    print("blocked", e.errno)\n`;
      const result = await runPython(code);
      expect(result.stdout).toMatch(/^blocked/);
      expect(connections).toBe(0);
    });
  });

  it('stops a program printing 1 GB at the output cap', async () => {
    const code = 'import sys\nchunk = "x" * 65536\nfor _ in range(16384):\n    sys.stdout.write(chunk)\n';
    const result = await runPython(code, { limits: { maxOutputBytes: 64 * 1024 } });
    expect(result.outputTruncated).toBe(true);
    expect(result.stdout.length).toBe(64 * 1024);
    expect(result.timedOut).toBe(false); // stopped by the cap, not by the clock
  });

  it('runs Node inside the namespaces too (10 GB of buffers refused)', async () => {
    const code = 'const a = []; try { for (let i = 0; i < 10; i++) a.push(Buffer.alloc(1024 ** 3, 1)); console.log("allocated"); } catch (e) { console.log("refused", a.length); }';
    const result = await runNode(code, 'namespaces');
    expect(result.stdout).toMatch(/^refused [01]\n$/);
  });
});

describe('sandbox without namespaces (limits only; Node permission model)', () => {
  it('blocks file reads and writes outside the directory and child processes for JavaScript', async () => {
    const name = marker();
    const code = [
      "const fs = require('fs');",
      `for (const p of ['/etc/passwd', ${JSON.stringify(join(REPO_ROOT, 'package.json'))}]) { try { fs.readFileSync(p); console.log('read', p); } catch (e) { console.log('blocked', e.code); } }`,
      `try { fs.writeFileSync(${JSON.stringify(join(REPO_ROOT, name))}, 'x'); console.log('wrote'); } catch (e) { console.log('blocked', e.code); }`,
      "try { require('child_process').execSync('true'); console.log('spawned'); } catch (e) { console.log('blocked', e.code); }",
    ].join('\n');
    const result = await runNode(code, 'limits-only');
    expect(result.stdout.trim().split('\n')).toEqual(new Array(4).fill('blocked ERR_ACCESS_DENIED'));
    expect(existsSync(join(REPO_ROOT, name))).toBe(false);
    expect(result.isolation).toBe('limits-only');
  });

  it('still enforces the CPU limit and the output cap', async () => {
    const loop = await runNode('for (;;) {}', 'limits-only');
    expect(loop.exitCode === 0).toBe(false);
    expect(loop.durationMs).toBeLessThan(4000 + 1500);
    const flood = await runSandboxed({
      files: { 'main.cjs': "const s = 'y'.repeat(65536); for (let i = 0; i < 16384; i++) process.stdout.write(s);" },
      argv: (dir) => [process.execPath, `${dir}/main.cjs`],
      isolation: 'limits-only',
      limits: { maxOutputBytes: 10_000, timeoutMs: 4000 },
    });
    expect(flood.outputTruncated).toBe(true);
    expect(flood.stdout.length).toBe(10_000);
  });
});
