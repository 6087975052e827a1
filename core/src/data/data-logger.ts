/** The part of UnifiedLogger the data layer uses, so tests and scripts can pass any console-like object. */
export interface DataLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}
