import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const STEP_DIR = /^step-(\d+)$/;

/**
 * Where a run writes (documented in docs/outputs.md): the resolved config, metrics.jsonl, the logged texts,
 * tables and hparams, checkpoints/step-N, final/ and logs/. One object so the layout is spelled out in one place.
 */
export class OutputLayout {
  readonly root: string;

  constructor(outputDir: string) {
    this.root = resolve(outputDir);
  }

  get resolvedConfig(): string {
    return join(this.root, 'config.resolved.yaml');
  }
  get metrics(): string {
    return join(this.root, 'metrics.jsonl');
  }
  get texts(): string {
    return join(this.root, 'texts.jsonl');
  }
  get tables(): string {
    return join(this.root, 'tables');
  }
  get hparams(): string {
    return join(this.root, 'hparams.json');
  }
  get checkpoints(): string {
    return join(this.root, 'checkpoints');
  }
  get final(): string {
    return join(this.root, 'final');
  }
  get logs(): string {
    return join(this.root, 'logs');
  }

  /** A logged table: `tables/<tag>/step-<N>.jsonl` (a tag's `/` makes subdirectories). */
  table(tag: string, step: number): string {
    return join(this.tables, ...tag.split('/'), `step-${step}.jsonl`);
  }

  checkpoint(step: number): string {
    return join(this.checkpoints, `step-${step}`);
  }

  /** Complete checkpoints (temp dirs of interrupted writes are never listed), oldest step first. */
  listCheckpoints(): Array<{ step: number; dir: string }> {
    if (!existsSync(this.checkpoints)) return [];
    return readdirSync(this.checkpoints)
      .map((name) => STEP_DIR.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ step: Number(m[1]), dir: join(this.checkpoints, m[0]) }))
      .sort((a, b) => a.step - b.step);
  }

  /** What marks a run in this directory (a model, checkpoints or logged metrics), as `final/`, `checkpoints/`, `metrics.jsonl`. */
  runArtifacts(): string[] {
    const found = [];
    if (existsSync(this.final)) found.push('final/');
    if (this.listCheckpoints().length > 0) found.push('checkpoints/');
    if (existsSync(this.metrics)) found.push('metrics.jsonl');
    return found;
  }

  latestCheckpoint(): string | undefined {
    return this.listCheckpoints().at(-1)?.dir;
  }
}
