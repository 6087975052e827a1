#!/usr/bin/env node
// `node bench/allreduce.mjs [--ranks 2] [--params 124439808] [--repeat 5]`: the in-place allreduce (sum) of a
// GPT-2-small-sized float32 gradient buffer through the distributed-mpi plugin (Open MPI via koffi), as one flat
// buffer and as GPT-2 small's 148 tensors, on this machine. Re-launches itself under mpirun; prints the median.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { MpiProcessGroup } from '@aligntune/plugin-distributed-mpi';

const { values: args } = parseArgs({
  options: { ranks: { type: 'string', default: '2' }, params: { type: 'string', default: '124439808' }, repeat: { type: 'string', default: '5' } },
});
if (process.env.OMPI_COMM_WORLD_RANK === undefined) {
  const argv = ['-np', args.ranks, '--oversubscribe', '--bind-to', 'none', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : []), process.execPath, ...process.argv.slice(1)];
  console.error(`mpirun ${argv.join(' ')}`);
  process.exit(spawnSync('mpirun', argv, { stdio: 'inherit' }).status ?? 1);
}

const group = new MpiProcessGroup();
const ranks = Number(args.ranks);
await group.init({ nodes: 1, processesPerNode: ranks, seed: 0 });
const count = Number(args.params);
const repeat = Number(args.repeat);
const flat = new Float32Array(count).fill(group.rank + 1);
// GPT-2 small's layout: wte, wpe, then 12 blocks of 12 tensors, then ln_f (2): 148 tensors over the same elements
const tensors = splitLikeGpt2(flat);

async function time(buffers) {
  const seconds = [];
  for (let i = 0; i < repeat; i++) {
    await group.barrier();
    const start = performance.now();
    await group.allReduce(buffers, 'sum');
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds.sort((a, b) => a - b)[Math.floor(seconds.length / 2)];
}

const flatSeconds = await time([flat]);
const tensorSeconds = await time(tensors);
// the first run sums 1..N; every later one sums N equal copies
const expected = ((ranks * (ranks + 1)) / 2) * ranks ** (2 * repeat - 1);
if (Math.abs(flat[0] / expected - 1) > 1e-3) throw new Error(`allreduce result ${flat[0]} is not ${expected}`);
if (group.rank === 0) {
  const bytes = count * 4;
  // bus bandwidth (NCCL's convention): a ring allreduce moves 2(N−1)/N of the buffer through each rank
  const bus = (s) => ((2 * (ranks - 1)) / ranks) * bytes / s / 1e9;
  console.log(`allreduce of ${count.toLocaleString()} float32 (${(bytes / 2 ** 20).toFixed(0)} MiB), ${ranks} ranks on one host, median of ${repeat}:`);
  console.log(`  one flat buffer: ${(flatSeconds * 1000).toFixed(0)} ms (${bus(flatSeconds).toFixed(2)} GB/s bus bandwidth)`);
  console.log(`  ${tensors.length} tensors:      ${(tensorSeconds * 1000).toFixed(0)} ms (${bus(tensorSeconds).toFixed(2)} GB/s bus bandwidth)`);
}
await group.destroy();

function splitLikeGpt2(buffer) {
  const d = 768;
  const block = [d, d, 3 * d * d, 3 * d, d * d, d, d, d, 4 * d * d, 4 * d, 4 * d * d, d];
  const sizes = [50257 * d, 1024 * d, ...Array.from({ length: 12 }, () => block).flat(), d, d];
  const scale = buffer.length / sizes.reduce((a, b) => a + b, 0);
  const out = [];
  let at = 0;
  sizes.forEach((size, i) => {
    const n = i === sizes.length - 1 ? buffer.length - at : Math.round(size * scale);
    out.push(buffer.subarray(at, at + n));
    at += n;
  });
  return out;
}
