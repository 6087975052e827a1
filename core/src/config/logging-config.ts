import { Examples, Describe, NonEmptyStr, OneOf, Optional, StrList } from './field-rules.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LoggingLevel = (typeof LOG_LEVELS)[number];

/** `logging:` */
export class LoggingConfig {
  @Describe('Metric logger ids, e.g. ["tensorboard", "wandb"]. Default [] (console output only).')
  @Examples(['tensorboard', 'wandb'])
  @StrList()
  loggers: string[] = [];

  @Describe('Directory for checkpoints, logs and the final model. Default "./output".')
  @NonEmptyStr()
  output_dir = './output';

  @Describe('Run name; default: "<algo>-<timestamp>", chosen by the trainer.')
  @Optional()
  @NonEmptyStr()
  run_name?: string;

  @Describe('Console log level: error, warn, info (default) or debug.')
  @OneOf(LOG_LEVELS)
  level: LoggingLevel = 'info';
}
