import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readSafetensors } from '@aligntune/core';
import { findExecutable } from '@aligntune/core/util';
import { REPO_ROOT } from '../helpers/temp-project.js';

const BIN = join(REPO_ROOT, 'core/bin/aligntune.js');
/** Debian's Open MPI 4 (openmpi-bin, libopenmpi3): what the distributed-mpi plugin loads. */
const LIBMPI_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];

/** Why the multi-process tests cannot run here (printed when they are skipped), or undefined when they can. */
export function mpiMissing(): string | undefined {
  if (process.platform !== 'linux') return `Open MPI tests run on Linux only (this is ${process.platform})`;
  if (!findExecutable('mpirun')) return 'mpirun is not installed (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)';
  const lib = process.env.ALIGNTUNE_MPI_LIBRARY ?? LIBMPI_DIRS.map((d) => join(d, 'libmpi.so.40')).find((path) => existsSync(path));
  if (!lib) return 'libmpi.so.40 was not found (Debian/Ubuntu: apt-get install libopenmpi-dev)';
  return undefined;
}

/** Root may run mpirun (CI containers run as root); the launcher passes --allow-run-as-root itself, a direct mpirun needs these. */
export const MPI_ENV = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' };

export interface BinRun {
  code: number | null;
  stderr: string;
}

/** `node core/bin/aligntune.js args` (or `mpirun ... node core/bin/aligntune.js args` with `mpirun`) from the repo root; `onStderr` sees the output as it comes. */
export function runAligntune(args: string[], options: { mpirun?: string[]; env?: NodeJS.ProcessEnv; onStderr?: (all: string, pid: number) => void } = {}): Promise<BinRun> {
  const [command, argv] = options.mpirun ? ['mpirun', [...options.mpirun, process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: REPO_ROOT, env: options.env ?? MPI_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr, child.pid!);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

export function writeYaml(file: string, config: Record<string, unknown>): string {
  writeFileSync(file, stringify(config));
  return file;
}

export type MetricRows = Array<Record<string, number>>;

export function readMetrics(out: string): MetricRows {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, number>);
}

/** The largest per-tensor relative difference ‖a − b‖ / ‖a‖ between two saved models, and the tensor. */
export async function weightDifference(a: string, b: string): Promise<{ relative: number; tensor: string }> {
  const [{ tensors: x }, { tensors: y }] = await Promise.all([readSafetensors(join(a, 'model.safetensors')), readSafetensors(join(b, 'model.safetensors'))]);
  let worst = { relative: 0, tensor: '' };
  for (const [name, t] of x) {
    const u = t.data as Float32Array;
    const v = y.get(name)!.data as Float32Array;
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < u.length; i++) {
      diff += (u[i]! - v[i]!) ** 2;
      norm += u[i]! ** 2;
    }
    const relative = Math.sqrt(diff / (norm || 1));
    if (relative > worst.relative) worst = { relative, tensor: name };
  }
  return worst;
}

/** Every logged value of `a` within `tolerance` (relative) of `b`'s, timing columns aside; the same steps and keys. */
export function expectSameMetrics(a: MetricRows, b: MetricRows, tolerance: number): string[] {
  const problems: string[] = [];
  if (a.length !== b.length) problems.push(`${a.length} rows vs ${b.length}`);
  a.forEach((row, i) => {
    for (const [key, value] of Object.entries(row)) {
      if (key === 'tokens_per_second') continue;
      const other = b[i]?.[key];
      if (other === undefined || Math.abs(value - other) > tolerance * Math.max(1, Math.abs(value))) problems.push(`row ${i} ${key}: ${value} vs ${other}`);
    }
  });
  return problems;
}
