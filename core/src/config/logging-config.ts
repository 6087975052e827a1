import { Bool, Examples, Describe, NonEmptyStr, OneOf, Optional, StrList } from './field-rules.js';

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

  @Describe(
    'Start afresh in an output_dir that already holds a run (final/, checkpoints/ or metrics.jsonl): the old directory is removed first (Hugging Face\'s name; the CLI flag --overwrite-output-dir). Default false: such a run is refused unless it resumes (train.resume_from_checkpoint).',
  )
  @Bool()
  overwrite_output_dir = false;

  @Describe('Run name; default: "<algo>-<timestamp>", chosen by the trainer.')
  @Optional()
  @NonEmptyStr()
  run_name?: string;

  @Describe('Console log level: error, warn, info (default) or debug.')
  @OneOf(LOG_LEVELS)
  level: LoggingLevel = 'info';
}
