import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';

const STEPS = 60;
const EVAL_EVERY = 20;
const NAN_STEP = 7;
const SCRIPT_COMPLETION = '<script>alert("pwned")</script> 42';
const IMG_TEXT = '</div><img src=x onerror=alert(1)> & "quoted"';
/** A metric name is untrusted too: it lands in SVG attributes, legends and titles. */
const EVIL_METRIC = 'x"><script>alert(2)</script>';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome']
  .flatMap((name) => (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name)))
  .find((path) => existsSync(path));
const NO_CHROMIUM = 'skipped: no chromium on PATH (apt-get install chromium; .ci/run installs it)';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aligntune-report-'));
  dirs.push(dir);
  return dir;
}

const jsonl = (rows: readonly unknown[]): string => rows.map((row) => `${JSON.stringify(row)}\n`).join('');

/** A GRPO-shaped run directory as the JSONL sink writes it (docs/outputs.md), with untrusted text in it. */
function writeRun(dir: string): string {
  const rows: Array<Record<string, unknown>> = [];
  for (let step = 1; step <= STEPS; step += 1) {
    const t = step / STEPS;
    rows.push({
      step,
      epoch: step / 30,
      loss: step === NAN_STEP ? 'NaN' : 0.05 * Math.exp(-3 * t) + 0.004 * Math.sin(step),
      learning_rate: step < 10 ? (1e-5 * step) / 10 : 1e-5 * (1 - t),
      grad_norm: 1 + 0.2 * Math.cos(step),
      tokens_per_second: 1800 + 50 * Math.sin(step / 3),
      reward: 0.2 + 0.6 * t,
      'rewards/math/mean': 0.1 + 0.7 * t,
      'rewards/total/mean': 0.2 + 0.6 * t, // the same values as reward, as with one reward function
      kl: 0.04 * t,
      entropy: 1.4 - 0.5 * t,
      [EVIL_METRIC]: step,
    });
    if (step % EVAL_EVERY === 0) rows.push({ step, epoch: step / 30, 'eval/loss': 0.04 * Math.exp(-2 * t), 'eval/reward': 0.15 + 0.5 * t, 'eval/objective/kl': 0.03 * t });
  }
  writeFileSync(join(dir, 'metrics.jsonl'), jsonl(rows));
  mkdirSync(join(dir, 'tables/completions'), { recursive: true });
  for (const step of [20, 40, 60]) {
    const completions = [SCRIPT_COMPLETION, `The answer is ${step}.`].map((completion, i) => ({ step, prompt: `user: step ${step} question ${i}`, completion, reward: i, advantage: i - 0.5 }));
    writeFileSync(join(dir, `tables/completions/step-${step}.jsonl`), jsonl(completions));
  }
  writeFileSync(join(dir, 'texts.jsonl'), jsonl([{ step: 30, tag: 'samples/greedy', text: IMG_TEXT }]));
  writeFileSync(join(dir, 'config.resolved.yaml'), 'algo: grpo\nmodel:\n  name_or_path: ./models/<b>tiny</b>\ntrain:\n  learning_rate: 1.0e-5\n  max_steps: 60\n  beta: 0.04\nlogging:\n  run_name: grpo-report-test\n');
  return dir;
}

/** Each `<figure data-chart>`'s series: polyline key → number of points (what a browser draws). */
function chartsIn(html: string): Map<string, Map<string, number>> {
  const charts = new Map<string, Map<string, number>>();
  for (const [, id, body] of html.matchAll(/<figure class="chart" data-chart="([^"]*)">([\s\S]*?)<\/figure>/g)) {
    const lines = [...body!.matchAll(/<polyline data-series="([^"]*)" points="([^"]*)"/g)];
    charts.set(id!, new Map(lines.map(([, key, points]) => [key!.replaceAll('&amp;', '&'), points!.trim() ? points!.trim().split(/\s+/).length : 0])));
  }
  return charts;
}

async function report(dir: string, ...args: string[]): Promise<string> {
  const result = await cli('report', dir, ...args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return readFileSync(result.stdout.trim(), 'utf8');
}

describe('aligntune report', () => {
  const run = writeRun(tempDir());

  it('writes <output_dir>/report.html with a chart per metric family, each series with all its finite points', async () => {
    const html = await report(run);
    expect(readdirSync(run).filter((name) => name.includes('.tmp'))).toEqual([]);
    const charts = chartsIn(html);
    const evals = STEPS / EVAL_EVERY;
    expect(Object.fromEntries([...charts].map(([id, series]) => [id, Object.fromEntries(series)]))).toMatchObject({
      loss: { loss: STEPS - 1, 'eval/loss': evals }, // the "NaN" step is left out
      reward: { reward: STEPS, 'rewards/math/mean': STEPS, 'eval/reward': evals },
      kl: { kl: STEPS, 'eval/objective/kl': evals },
      'learning-rate': { learning_rate: STEPS },
      'tokens-per-second': { tokens_per_second: STEPS },
      'grad-norm': { grad_norm: STEPS },
      'metric-entropy': { entropy: STEPS },
    });
    expect([...charts.keys()].slice(0, 6)).toEqual(['loss', 'reward', 'kl', 'learning-rate', 'tokens-per-second', 'grad-norm']);
    // Axes and a legend entry per series.
    const loss = /data-chart="loss">([\s\S]*?)<\/figure>/.exec(html)![1]!;
    expect(loss).toMatch(/<path class="axis"/);
    expect(loss.match(/<text [^>]*text-anchor="end">/g)!.length).toBeGreaterThanOrEqual(3);
    expect(loss.match(/<li>/g)).toHaveLength(2);
  });

  it('draws a series with the same values as another once, labelled with both names', async () => {
    const html = await report(run);
    expect([...chartsIn(html).get('reward')!.keys()]).toEqual(['reward', 'rewards/math/mean', 'eval/reward']);
    const reward = /data-chart="reward">([\s\S]*?)<\/figure>/.exec(html)![1]!;
    expect(reward.match(/<span class="name">[^<]*<\/span>/g)).toEqual([
      '<span class="name">reward = rewards/total/mean</span>',
      '<span class="name">rewards/math/mean</span>',
      '<span class="name">eval/reward</span>',
    ]);
    expect(reward).toContain('aria-label="Reward over steps: reward = rewards/total/mean, rewards/math/mean, eval/reward"');
  });

  it('shows the first rows of a long table and folds the rest into a closed <details>', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metrics.jsonl'), jsonl([{ step: 1, loss: 1 }]));
    mkdirSync(join(dir, 'tables/completions'), { recursive: true });
    const table = (step: number, rows: number) => jsonl(Array.from({ length: rows }, (_, i) => ({ step, prompt: `p${i}`, completion: `c${i}`, reward: i })));
    writeFileSync(join(dir, 'tables/completions/step-1.jsonl'), table(1, 3));
    writeFileSync(join(dir, 'tables/completions/step-2.jsonl'), table(2, 12));
    const html = await report(dir);
    const step = (n: number) => new RegExp(`<details class="sample"[^>]*><summary>step ${n} · [^<]*</summary>([\\s\\S]*?)</details>(?=<details class="sample"|</div>)`).exec(html)![1]!;
    const rowsOf = (fragment: string) => [...fragment.matchAll(/<tr><td><div class="text">(p\d+)<\/div>/g)].map((m) => m[1]);
    const [shown, more] = step(2).split('<details class="more-rows">');
    expect(rowsOf(shown!)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(more).toMatch(/^<summary>7 more rows<\/summary>/); // closed: no `open` attribute
    expect(rowsOf(more!)).toEqual(['p5', 'p6', 'p7', 'p8', 'p9', 'p10', 'p11']);
    expect(step(1)).not.toContain('more-rows');
    expect(rowsOf(step(1))).toEqual(['p0', 'p1', 'p2']);
  });

  it('starts the learning-rate axis at 0 when the schedule warms up from 0', async () => {
    const lowestTick = async (warmup: number, lr: (step: number) => number) => {
      const dir = tempDir();
      writeFileSync(join(dir, 'metrics.jsonl'), jsonl(Array.from({ length: 10 }, (_, i) => ({ step: i + 1, learning_rate: lr(i + 1) }))));
      writeFileSync(join(dir, 'config.resolved.yaml'), `algo: sft\ntrain:\n  learning_rate: 1.0e-5\n  warmup_steps: ${warmup}\n`);
      const chart = /data-chart="learning-rate">([\s\S]*?)<\/figure>/.exec(await report(dir))![1]!;
      return /text-anchor="end">([^<]*)</.exec(chart)![1];
    };
    expect(await lowestTick(3, (step) => 1e-5 * Math.min(step / 3, 1))).toBe('0');
    expect(await lowestTick(0, () => 1e-5)).not.toBe('0'); // a constant rate keeps a tight axis around it
  });

  it('shows untrusted text as text: no markup, script or external resource from the run reaches the page', async () => {
    const html = await report(run);
    expect(html).not.toMatch(/<script|<img|<[a-z][^>]*\s(on\w+|src|href)=/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; 42');
    expect(html).toContain('&lt;/div&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;');
    expect(html).toContain('./models/&lt;b&gt;tiny&lt;/b&gt;');
    expect(chartsIn(html).get(`metric-${EVIL_METRIC.replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')}`)?.size).toBe(1);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('shows the config summary and the latest --samples steps of each sample tag, newest first', async () => {
    const html = await report(run, '--samples', '2');
    expect(html).toContain('<title>grpo-report-test · aligntune report</title>');
    expect(html).toMatch(/<dt>learning_rate<\/dt><dd>1e-5<\/dd>/);
    expect(html).toContain('config.resolved.yaml</summary>');
    const steps = [...html.matchAll(/<summary>step (\d+) · 2 rows<\/summary>/g)].map((m) => Number(m[1]));
    expect(steps).toEqual([60, 40]);
    expect(html).toContain('the latest 2 of 3 logged steps');
    expect(html).toContain('data-text="samples/greedy"');
  });

  it('--out writes the report elsewhere', async () => {
    const out = join(tempDir(), 'nested/run.html');
    const result = await cli('report', run, '--out', out);
    expect(result).toMatchObject({ code: 0, stdout: `${out}\n` });
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('exits 2 naming the path when the directory is missing or holds no run', async () => {
    const missing = join(tempDir(), 'nope');
    expect(await cli('report', missing)).toMatchObject({ code: 2, stderr: expect.stringContaining(`${missing}: no such directory`) });
    const empty = tempDir();
    const result = await cli('report', empty);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${empty} holds no run output`);
  });

  it('skips a corrupt metrics line with a warning naming file and line; --strict makes it an error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify({ step: 1, loss: 1 })}\n{"step":2,"lo\n${JSON.stringify({ step: 3, loss: 0.5 })}\n`);
    const where = `${join(dir, 'metrics.jsonl')}:2`;
    const lenient = await cli('report', dir);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr.split('\n')).toEqual([expect.stringMatching(/ \(skipped\)$/), '']);
    expect(lenient.stderr).toContain(`warning: ${where}: not valid JSON (`);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('1 problem reading the run');
    expect(chartsIn(html).get('loss')?.get('loss')).toBe(2);
    const strict = await cli('report', dir, '--strict');
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain(`error: ${where}: not valid JSON`);
  });

  describe.skipIf(!CHROMIUM)(`in headless Chromium${CHROMIUM ? '' : ` (${NO_CHROMIUM})`}`, () => {
    // One browser run gives both the DOM after load (--dump-dom) and the rendered pixels (--screenshot).
    let dom: string;
    let image: Image;
    beforeAll(async () => {
      await report(run);
      const png = join(tempDir(), 'report.png');
      dom = chromium('--hide-scrollbars', '--window-size=1280,1600', `--screenshot=${png}`, '--dump-dom', `file://${join(run, 'report.html')}`);
      image = decodePng(readFileSync(png));
    });

    it('parses every chart into SVG polylines with their points', () => {
      const charts = chartsIn(dom);
      expect(charts.get('loss')).toEqual(new Map([['loss', STEPS - 1], ['eval/loss', STEPS / EVAL_EVERY]]));
      expect(charts.get('reward')?.size).toBe(3);
      expect(charts.size).toBe(chartsIn(readFileSync(join(run, 'report.html'), 'utf8')).size);
      expect([...charts.values()].every((series) => [...series.values()].every((n) => n > 0))).toBe(true);
      // The browser put them in the SVG namespace: its serializer closes SVG elements explicitly, HTML's never.
      expect(dom).toMatch(/<polyline [^>]*><\/polyline>/);
    });

    it('draws the lines: series colours span the plots in a screenshot', () => {
      expect(pixelShare(image, [0xf6, 0xf7, 0xf9])).toBeGreaterThan(0.2); // the page background: the CSS applied
      // Blue is every chart's first series, orange the reward chart's second: a drawn polyline covers hundreds of
      // pixel columns, a legend swatch 24.
      expect(columnsWith(image, [0x4e, 0x79, 0xa7])).toBeGreaterThan(800);
      expect(columnsWith(image, [0xf2, 0x8e, 0x2b])).toBeGreaterThan(300);
    });
  });
});

/**
 * Runs Chromium headless (a fresh profile, no background services) and returns its stdout. Bounded: a hung
 * browser fails the test instead of stalling the suite.
 */
function chromium(...args: string[]): string {
  const quiet = ['--disable-extensions', '--disable-component-update', '--disable-background-networking', '--disable-sync', '--mute-audio'];
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${tempDir()}`];
  const result = spawnSync(CHROMIUM!, [...base, ...quiet, ...args], { timeout: 90_000, killSignal: 'SIGKILL', maxBuffer: 64 * 2 ** 20, encoding: 'utf8' });
  expect(result.error, String(result.error)).toBeUndefined();
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

interface Image {
  width: number;
  height: number;
  channels: number;
  pixels: Buffer;
}

/** Decodes an 8-bit RGB or RGBA non-interlaced PNG (what Chromium writes). */
function decodePng(png: Buffer): Image {
  const idat: Buffer[] = [];
  let header: Buffer | undefined;
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IHDR') header = png.subarray(at + 8, at + 8 + length);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const [width, height, depth, colourType, interlace] = [header!.readUInt32BE(0), header!.readUInt32BE(4), header![8], header![9], header![12]];
  expect({ depth, interlace, colourType: colourType === 2 || colourType === 6 }).toEqual({ depth: 8, interlace: 0, colourType: true });
  const channels = colourType === 6 ? 4 : 3;
  return { width, height, channels, pixels: unfilter(inflateSync(Buffer.concat(idat)), width * channels, height, channels) };
}

/** Reverses PNG's per-row filters (none, sub, up, average, Paeth). */
function unfilter(raw: Buffer, stride: number, height: number, bpp: number): Buffer {
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i += 1) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= bpp ? out[y * stride + i - bpp]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? out[(y - 1) * stride + i - bpp]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter]!;
      out[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Whether the pixel at `offset` is within a small distance of `rgb` (antialiasing shifts edge pixels). */
function near(image: Image, offset: number, rgb: readonly number[]): boolean {
  return rgb.every((v, k) => Math.abs(image.pixels[offset + k]! - v) <= 24);
}

function pixelShare(image: Image, rgb: readonly number[]): number {
  let count = 0;
  for (let offset = 0; offset < image.pixels.length; offset += image.channels) if (near(image, offset, rgb)) count += 1;
  return count / (image.width * image.height);
}

function columnsWith(image: Image, rgb: readonly number[]): number {
  const columns = new Set<number>();
  for (let offset = 0; offset < image.pixels.length; offset += image.channels) if (near(image, offset, rgb)) columns.add((offset / image.channels) % image.width);
  return columns.size;
}
