import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync, truncateSync } from 'node:fs';

/**
 * A run's `wandb-history.jsonl`. Every committed line goes to disk at once, so nothing is lost whatever the
 * network does; the newest unsent lines are also kept in memory (at most `memoryBytes`) for the sender. Lines
 * the memory queue had no room for (a long outage) are read back from the file when the sender reaches them.
 */
export class HistoryLog {
  /** Byte offset of each line's start; the last entry is the file's length. */
  private readonly starts: number[];
  /** Lines `memoryStart ..< memoryStart + memory.length`, contiguous. */
  private memory: string[] = [];
  private memoryStart: number;
  private memoryUsed = 0;

  constructor(
    readonly path: string,
    private readonly memoryBytes: number,
  ) {
    this.starts = lineStarts(path);
    this.memoryStart = this.count;
  }

  get count(): number {
    return this.starts.length - 1;
  }

  append(line: string): void {
    const index = this.count;
    const bytes = Buffer.byteLength(line) + 1;
    appendFileSync(this.path, `${line}\n`);
    this.starts.push(this.starts[index]! + bytes);
    if (this.memory.length === 0) this.memoryStart = index;
    if (this.memoryStart + this.memory.length === index && this.memoryUsed + bytes <= this.memoryBytes) {
      this.memory.push(line);
      this.memoryUsed += bytes;
    }
  }

  /** Lines from `from` up to `end`: at least one (if any), then as many as fit in `maxBytes`. */
  read(from: number, maxBytes: number, end = this.count): string[] {
    let to = from;
    while (to < Math.min(end, this.count) && (to === from || this.starts[to + 1]! - this.starts[from]! <= maxBytes)) to++;
    if (from >= this.memoryStart && to <= this.memoryStart + this.memory.length) {
      return this.memory.slice(from - this.memoryStart, to - this.memoryStart);
    }
    return this.readFromDisk(from, to);
  }

  /** The server holds every line before `upTo`: they leave the memory queue. */
  release(upTo: number): void {
    const drop = Math.min(Math.max(0, upTo - this.memoryStart), this.memory.length);
    this.memoryUsed -= this.starts[this.memoryStart + drop]! - this.starts[this.memoryStart]!;
    this.memory.splice(0, drop);
    this.memoryStart += drop;
  }

  private readFromDisk(from: number, to: number): string[] {
    if (to <= from) return [];
    const buffer = Buffer.alloc(this.starts[to]! - this.starts[from]!);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.starts[from]!);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8').split('\n').slice(0, to - from);
  }
}

/** Start offsets of the file's complete lines; a torn last line (a crash mid-write) is cut off first. */
function lineStarts(path: string): number[] {
  const starts = [0];
  if (!existsSync(path)) return starts;
  const bytes = readFileSync(path);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) starts.push(i + 1);
  if (starts.at(-1)! < bytes.length) truncateSync(path, starts.at(-1)!);
  return starts;
}
