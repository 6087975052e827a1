import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { findExecutable } from '../../util/find-executable.js';

/** An interpreter and the host directories it needs visible inside the namespace sandbox. */
export interface SandboxInterpreter {
  path: string;
  readOnlyPaths: string[];
}

/** Directories under /usr are always visible in the sandbox; anything else must be bound in. */
function outsideUsr(prefix: string): string[] {
  return prefix === '/usr' || prefix.startsWith('/usr/') ? [] : [prefix];
}

/** This Node (the one running aligntune), with its install prefix when that is outside /usr (nvm, volta). */
export function nodeInterpreter(): SandboxInterpreter {
  return { path: process.execPath, readOnlyPaths: outsideUsr(dirname(dirname(process.execPath))) };
}

let python: Promise<SandboxInterpreter | null> | undefined;

/**
 * The real python3 (not a pyenv/asdf shim, which is a script needing its home directory), found once by
 * asking the interpreter itself; null when there is none.
 */
export function findPython(): Promise<SandboxInterpreter | null> {
  python ??= locatePython();
  return python;
}

function locatePython(): Promise<SandboxInterpreter | null> {
  const candidate = ['/usr/bin/python3', '/usr/local/bin/python3'].find((path) => existsSync(path)) ?? findExecutable('python3');
  if (!candidate) return Promise.resolve(null);
  const script = 'import json, sys; print(json.dumps([sys.executable, sys.base_prefix]))';
  return new Promise((resolve) => {
    execFile(candidate, ['-c', script], { timeout: 10_000 }, (error, stdout) => {
      if (error) return resolve(null);
      try {
        const [executable, prefix] = JSON.parse(stdout) as [string, string];
        resolve({ path: executable, readOnlyPaths: outsideUsr(prefix) });
      } catch {
        resolve(null);
      }
    });
  });
}
