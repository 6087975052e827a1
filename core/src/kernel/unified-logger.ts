import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface UnifiedLoggerOptions {
  level?: LogLevel;
  /** Human-readable console output (stderr). Off in tests that capture nothing. */
  console?: boolean;
}

/** Environment variables whose values are secrets: replaced by "***" in every log line. */
export const SECRET_ENV_VARS = ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'WANDB_API_KEY'] as const;

/** Replaces the values of secret environment variables (and obvious token shapes) in text. */
export function redactSecrets(text: string): string {
  let result = text;
  for (const name of SECRET_ENV_VARS) {
    const value = process.env[name];
    if (value && value.length >= 4) result = result.split(value).join('***');
  }
  return result.replace(/\bhf_[A-Za-z0-9]{20,}\b/g, 'hf_***');
}

const redact = winston.format((info) => {
  info.message = redactSecrets(String(info.message));
  return info;
});

/**
 * The logging system: human-readable lines on stderr (stdout stays clean for machine output) and, once a
 * run has an output directory, JSON lines in `<output_dir>/logs/run.log`.
 */
export class UnifiedLogger {
  private readonly logger: winston.Logger;
  private readonly console: winston.transport;
  private consoleLevel: LogLevel;

  constructor(options: UnifiedLoggerOptions = {}) {
    this.consoleLevel = options.level ?? 'info';
    this.console = consoleTransport(this.consoleLevel, options.console === false);
    this.logger = winston.createLogger({ level: this.consoleLevel, format: redact(), transports: [this.console] });
  }

  get level(): LogLevel {
    return this.consoleLevel;
  }

  /** Sets the console level (--debug, --quiet); the run log keeps recording debug lines. */
  setLevel(level: LogLevel): void {
    this.consoleLevel = level;
    this.console.level = level;
    if (!this.hasRunLog()) this.logger.level = level;
  }

  /** Adds the JSON-lines run log `<output_dir>/logs/run.log`, which records debug lines whatever the console level. */
  attachRunLog(outputDir: string): string {
    const dir = join(outputDir, 'logs');
    mkdirSync(dir, { recursive: true });
    const filename = join(dir, 'run.log');
    const json = winston.format.combine(winston.format.timestamp(), winston.format.json());
    this.logger.add(new winston.transports.File({ filename, level: 'debug', format: json }));
    this.logger.level = 'debug';
    return filename;
  }

  /**
   * Records an error in the run log only, for an error the caller reports on stderr itself (the CLI's
   * `error: ...` line); does nothing before attachRunLog.
   */
  errorToRunLog(message: string): void {
    if (this.hasRunLog()) this.logger.error(message, { [RUN_LOG_ONLY]: true });
  }

  error(message: string, meta?: Record<string, unknown>): void {
    this.logger.error(message, meta);
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.logger.warn(message, meta);
  }
  info(message: string, meta?: Record<string, unknown>): void {
    this.logger.info(message, meta);
  }
  debug(message: string, meta?: Record<string, unknown>): void {
    this.logger.debug(message, meta);
  }

  /** Flushes and closes the transports. */
  async close(): Promise<void> {
    const finished = new Promise<void>((resolve) => this.logger.on('finish', () => resolve()));
    this.logger.end();
    await finished;
  }

  private hasRunLog(): boolean {
    return this.logger.transports.some((transport) => transport instanceof winston.transports.File);
  }
}

/** Marks a line for the run log only (a symbol key: the JSON lines do not show it). */
const RUN_LOG_ONLY = Symbol('runLogOnly');
const skipRunLogOnly = winston.format((info) => ((info as Record<symbol, unknown>)[RUN_LOG_ONLY] ? false : info));

function consoleTransport(level: LogLevel, silent: boolean): winston.transport {
  return new winston.transports.Console({
    level,
    silent,
    stderrLevels: ['error', 'warn', 'info', 'debug'],
    format: winston.format.combine(
      skipRunLogOnly(),
      winston.format.printf(({ level: lineLevel, message }) => (lineLevel === 'info' ? String(message) : `${lineLevel}: ${message}`)),
    ),
  });
}
