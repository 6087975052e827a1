// Summarises an onnxruntime JSON profile (SessionOptions.enableProfiling): kernel time per op type,
// per run, skipping the first (warm-up) run. Kernel times are much less sensitive to other load on
// the machine than wall times, so they are the number to compare graph variants by.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The newest `<prefix>_*.json` file onnxruntime wrote for this prefix. */
export function latestProfile(prefix) {
  const dir = dirname(prefix);
  const base = basename(prefix);
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(`${base}_`) && f.endsWith('.json'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files.length) throw new Error(`no profile found for prefix ${prefix}`);
  return files[0];
}

/**
 * `totalMs`/`byOp[].ms` are per-run means. `minTotalMs`/`byOp[].minMs` sum each node's fastest run
 * instead: on a shared machine, preemption inflates single kernels at random, and the per-node minimum
 * filters most of it (use it to compare graph variants; it slightly flatters the absolute time).
 * @returns {{ runs: number, totalMs: number, minTotalMs: number, byOp: Array<{ op: string, ms: number, minMs: number, nodes: number }>,
 *   topNodes: Array<{ name: string, op: string, ms: number, shape: string }> }} per-run averages
 */
export function summariseProfile(file, { skipRuns = 1 } = {}) {
  const events = JSON.parse(readFileSync(file, 'utf8'));
  const runs = events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const counted = runs.slice(skipRuns);
  if (!counted.length) throw new Error(`profile ${file} has ${runs.length} runs, none left after skipping ${skipRuns}`);
  const start = counted[0].ts;
  const ops = new Map();
  const nodes = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < start) continue;
    const op = e.args?.op_name ?? '?';
    const o = ops.get(op) ?? { op, us: 0, nodes: new Set() };
    o.us += e.dur;
    o.nodes.add(e.name);
    ops.set(op, o);
    const n = nodes.get(e.name) ?? { name: e.name.replace(/_kernel_time$/, ''), op, us: 0, minUs: Infinity, perRun: new Map(), shape: JSON.stringify(e.args?.output_type_shape ?? []) };
    n.us += e.dur;
    // A node can run more than once per run (Loop bodies): sum within a run, take the fastest run.
    const run = counted.findLastIndex((r) => r.ts <= e.ts);
    n.perRun.set(run, (n.perRun.get(run) ?? 0) + e.dur);
    nodes.set(e.name, n);
  }
  const k = counted.length;
  const minUs = new Map();
  for (const n of nodes.values()) {
    n.minUs = n.perRun.size === k ? Math.min(...n.perRun.values()) : 0;
    minUs.set(n.op, (minUs.get(n.op) ?? 0) + n.minUs);
  }
  const byOp = [...ops.values()].map((o) => ({ op: o.op, ms: o.us / k / 1000, minMs: minUs.get(o.op) / 1000, nodes: o.nodes.size })).sort((a, b) => b.ms - a.ms);
  const topNodes = [...nodes.values()].map((n) => ({ name: n.name, op: n.op, ms: n.us / k / 1000, minMs: n.minUs / 1000, shape: n.shape })).sort((a, b) => b.ms - a.ms);
  return { runs: k, totalMs: byOp.reduce((s, o) => s + o.ms, 0), minTotalMs: byOp.reduce((s, o) => s + o.minMs, 0), byOp, topNodes };
}
