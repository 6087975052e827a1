import { readdirSync, readFileSync } from 'node:fs';

/** Resource limits of one sandboxed run. Each is enforced by the OS, not by the program being run. */
export interface SandboxLimits {
  /** CPU seconds per process (RLIMIT_CPU); the process is killed when it is spent. */
  cpuSeconds: number;
  /** Wall-clock limit; the whole process group (and PID namespace) is killed when it passes. */
  timeoutMs: number;
  /** Address space per process (RLIMIT_AS). Node needs about 1 GiB to start (V8 reserves its code range). */
  memoryBytes: number;
  /**
   * Processes and threads (RLIMIT_NPROC). With namespaces they are counted in the sandbox's own user
   * namespace; without, the kernel counts every task of the user, so the limit is raised by those at start.
   */
  maxProcesses: number;
  /** Bytes kept of stdout and of stderr each; more kills the run. */
  maxOutputBytes: number;
  /** Largest file the program may write (RLIMIT_FSIZE). */
  maxFileBytes: number;
  /** Size of the writable working directory and /tmp (tmpfs; namespace isolation only). */
  diskBytes: number;
  /** Open file descriptors (RLIMIT_NOFILE). */
  maxOpenFiles: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = {
  cpuSeconds: 5,
  timeoutMs: 10_000,
  memoryBytes: 1024 ** 3,
  maxProcesses: 32,
  maxOutputBytes: 1024 ** 2,
  maxFileBytes: 16 * 1024 ** 2,
  diskBytes: 64 * 1024 ** 2,
  maxOpenFiles: 64,
};

/**
 * `prlimit` arguments applying the limits to the command that follows. Soft = hard, so the program cannot
 * raise them again.
 */
export function prlimitArgs(prlimit: string, limits: SandboxLimits, existingTasks = 0): string[] {
  return [
    prlimit,
    `--cpu=${Math.max(1, Math.ceil(limits.cpuSeconds))}`,
    `--as=${Math.floor(limits.memoryBytes)}`,
    `--nproc=${existingTasks + limits.maxProcesses}`,
    `--fsize=${Math.floor(limits.maxFileBytes)}`,
    `--nofile=${limits.maxOpenFiles}`,
    '--core=0',
    '--',
  ];
}

/** The same limits through the shell's `ulimit`, where util-linux's prlimit is missing (no process count). */
export function ulimitArgs(limits: SandboxLimits): string[] {
  const script = [
    `ulimit -t ${Math.max(1, Math.ceil(limits.cpuSeconds))}`,
    `ulimit -v ${Math.floor(limits.memoryBytes / 1024)}`,
    `ulimit -f ${Math.floor(limits.maxFileBytes / 512)}`,
    `ulimit -n ${limits.maxOpenFiles}`,
    'ulimit -c 0',
    'exec "$@"',
  ].join(' && ');
  return ['/bin/sh', '-c', script, 'sh'];
}

/** Tasks (threads) the user `uid` runs now, from /proc; RLIMIT_NPROC counts these too outside a namespace. */
export function tasksOfUser(uid: number): number {
  let tasks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid) tasks += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    } catch {
      // exited meanwhile
    }
  }
  return tasks;
}
