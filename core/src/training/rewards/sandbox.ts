import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { DEFAULT_SANDBOX_LIMITS, prlimitArgs, tasksOfUser, ulimitArgs, type SandboxLimits } from './sandbox-limits.js';
import {
  dropPrivilegesArgs,
  isolationTools,
  namespaceArgs,
  SANDBOX_UID,
  SANDBOX_WORKDIR,
  type SandboxIsolation,
} from './sandbox-isolation.js';

export interface SandboxRequest {
  /** Files written into the working directory (relative paths), e.g. `{ 'main.py': code }`. */
  files: Record<string, string>;
  /** The command, given the working directory as the program will see it (`/sandbox`, or the host temp dir). */
  argv: (workDir: string) => string[];
  stdin?: string;
  /** Host directories the program needs read-only (an interpreter installed outside /usr). */
  readOnlyPaths?: readonly string[];
  limits?: Partial<SandboxLimits>;
  /** `auto` (default): namespaces when this machine allows them, else limits only. */
  isolation?: 'auto' | SandboxIsolation;
}

export interface SandboxResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The wall-clock limit passed and everything was killed. */
  timedOut: boolean;
  /** stdout or stderr passed maxOutputBytes: the rest was dropped and everything was killed. */
  outputTruncated: boolean;
  isolation: SandboxIsolation;
  durationMs: number;
}

let detected: Promise<SandboxIsolation> | undefined;

/** The strongest isolation this machine supports, probed once per process by running `true` inside it. */
export function detectSandboxIsolation(): Promise<SandboxIsolation> {
  detected ??= probeNamespaces();
  return detected;
}

async function probeNamespaces(): Promise<SandboxIsolation> {
  const tools = isolationTools();
  if (!tools.unshare || !tools.prlimit) return 'limits-only';
  try {
    const probe = await runSandboxed({ files: {}, argv: () => ['/bin/true'], isolation: 'namespaces', limits: { timeoutMs: 5000 } });
    return probe.exitCode === 0 ? 'namespaces' : 'limits-only';
  } catch {
    return 'limits-only';
  }
}

/**
 * Runs untrusted code in a separate process group, in a fresh temporary directory, under OS resource limits,
 * a wall-clock timeout and output caps, inside network/mount/PID/user namespaces when available; the group
 * (and namespace) is killed and the directory removed before this resolves. See docs/security.md.
 */
export async function runSandboxed(request: SandboxRequest): Promise<SandboxResult> {
  const isolation = request.isolation === undefined || request.isolation === 'auto' ? await detectSandboxIsolation() : request.isolation;
  const limits: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS, ...request.limits };
  const dir = mkdtempSync(join(tmpdir(), 'aligntune-sandbox-'));
  try {
    const paths = stage(dir, request.files);
    const tools = isolationTools();
    const limited = tools.prlimit ? prlimitArgs(tools.prlimit, limits, existingTasks(isolation, tools)) : ulimitArgs(limits);
    const workDir = isolation === 'namespaces' ? SANDBOX_WORKDIR : paths.work;
    const prefix =
      isolation === 'namespaces'
        ? namespaceArgs(tools, paths, limits.diskBytes, request.readOnlyPaths ?? [])
        : dropPrivilegesArgs(tools);
    if (dropsToNobody(tools)) giveTo(dir, SANDBOX_UID);
    const argv = [...prefix, ...limited, ...request.argv(workDir)];
    return { ...(await execute(argv, { cwd: paths.work, workDir, stdin: request.stdin, limits })), isolation };
  } finally {
    removeTree(dir);
  }
}

/** Without a user namespace of its own, RLIMIT_NPROC also counts the tasks its user already runs. */
function existingTasks(isolation: SandboxIsolation, tools: { setpriv?: string }): number {
  if (isolation === 'namespaces') return 0;
  return tasksOfUser(dropsToNobody(tools) ? SANDBOX_UID : process.getuid!());
}

function dropsToNobody(tools: { setpriv?: string }): boolean {
  return tools.setpriv !== undefined && process.getuid?.() === 0;
}

/** Writes the files into `<dir>/work`, refusing paths that would land outside it. */
function stage(dir: string, files: Record<string, string>): { root: string; work: string } {
  const root = join(dir, 'root');
  const work = join(dir, 'work');
  mkdirSync(root);
  mkdirSync(work);
  for (const [name, text] of Object.entries(files)) {
    const rel = normalize(name);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) throw new Error(`sandbox file "${name}" is outside the working directory`);
    mkdirSync(dirname(join(work, rel)), { recursive: true });
    writeFileSync(join(work, rel), text);
  }
  return { root, work };
}

/** Hands the staged tree to the sandbox user so it can enter and copy it (mkdtemp makes it 0700 root). */
function giveTo(path: string, uid: number): void {
  chownSync(path, uid, uid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) giveTo(child, uid);
    else chownSync(child, uid, uid);
  }
}

interface ExecuteOptions {
  cwd: string;
  workDir: string;
  stdin?: string;
  limits: SandboxLimits;
}

function execute(argv: string[], options: ExecuteOptions): Promise<Omit<SandboxResult, 'isolation'>> {
  const started = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: sandboxEnv(options.workDir),
    detached: true, // its own process group, so one kill reaches every descendant that stays in it
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const run = new RunState(child, options.limits);
  child.stdin!.on('error', () => {}); // the program may exit without reading its input
  child.stdin!.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', (error) => run.finish(() => reject(error)));
    child.on('exit', (code, signal) => {
      run.killGroup(); // stragglers that outlive the leader
      run.whenOutputClosed(() => resolve({ ...run.result(code, signal), durationMs: Date.now() - started }));
    });
  });
}

/** Output capture with caps, the wall-clock timer and group killing for one run. */
class RunState {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private outBytes = 0;
  private errBytes = 0;
  private timedOut = false;
  private truncated = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly child: ChildProcess,
    private readonly limits: SandboxLimits,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.killGroup();
    }, limits.timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => (this.outBytes = this.capture(this.out, this.outBytes, chunk)));
    child.stderr!.on('data', (chunk: Buffer) => (this.errBytes = this.capture(this.err, this.errBytes, chunk)));
    child.on('close', () => (this.closed = true));
  }

  private capture(chunks: Buffer[], size: number, chunk: Buffer): number {
    const room = this.limits.maxOutputBytes - size;
    if (room > 0) chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    if (chunk.length > room && !this.truncated) {
      this.truncated = true;
      this.killGroup();
    }
    return size + chunk.length;
  }

  killGroup(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Waits for the pipes to drain, but not for a descendant that escaped the group and holds them open. */
  whenOutputClosed(done: () => void): void {
    const deadline = Date.now() + 500;
    const poll = () => {
      if (this.closed || Date.now() > deadline) return this.finish(done);
      setTimeout(poll, 10);
    };
    poll();
  }

  finish(done: () => void): void {
    clearTimeout(this.timer);
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    done();
  }

  result(exitCode: number | null, signal: NodeJS.Signals | null): Omit<SandboxResult, 'isolation' | 'durationMs'> {
    return {
      exitCode,
      signal,
      stdout: Buffer.concat(this.out).toString('utf8'),
      stderr: Buffer.concat(this.err).toString('utf8'),
      timedOut: this.timedOut,
      outputTruncated: this.truncated,
    };
  }
}

/** Nothing of the parent's environment (tokens, keys) reaches the program. */
function sandboxEnv(workDir: string): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: workDir,
    TMPDIR: workDir,
    LANG: 'C.UTF-8',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONIOENCODING: 'utf-8',
  };
}

/** Removes the run's directory even if the program left unwritable directories behind. */
function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    makeWritable(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeWritable(dir: string): void {
  try {
    chmodSync(dir, 0o700);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) makeWritable(join(dir, entry.name));
  } catch {
    // best effort; rmSync reports what is left
  }
}
