import { describeFields } from './config-fields.js';
import { didYouMean } from '../kernel/suggest.js';
import { UnifiedConfig } from './unified-config.js';

/**
 * Names people bring from Hugging Face TrainingArguments and TRL's configs, and where the same setting
 * lives here. They are suggested, not accepted: one spelling per setting keeps configs, `validate --print`
 * and the report unambiguous.
 */
export const KNOWN_ALIASES: Readonly<Record<string, string>> = {
  save_steps: 'train.save_interval',
  save_strategy: 'train.save_interval',
  eval_steps: 'train.eval_interval',
  eval_strategy: 'train.eval_interval',
  evaluation_strategy: 'train.eval_interval',
  num_train_epochs: 'train.epochs',
  per_device_train_batch_size: 'train.per_device_batch_size',
  per_device_eval_batch_size: 'train.per_device_batch_size',
  train_batch_size: 'train.per_device_batch_size',
  batch_size: 'train.per_device_batch_size',
  mini_batch_size: 'train.per_device_batch_size',
  lr: 'train.learning_rate',
  lr_scheduler_type: 'train.lr_scheduler',
  optim: 'train.optimizer',
  max_seq_length: 'train.max_length',
  seq_length: 'train.max_length',
  init_kl_coef: 'train.kl_coef',
  ppo_epochs: 'train.num_ppo_epochs',
  logging_dir: 'logging.output_dir',
  output_dir: 'logging.output_dir',
  report_to: 'logging.loggers',
  log_level: 'logging.level',
  model_name_or_path: 'model.name_or_path',
  model_name: 'model.name_or_path',
  model_id: 'model.name_or_path',
  torch_dtype: 'model.precision',
  bf16: 'model.precision',
  fp16: 'model.precision',
  dataset_name: 'datasets.N.name',
  dataset_config_name: 'datasets.N.subset',
  dataset_train_split: 'datasets.N.split',
  dataset_test_split: 'datasets.N.eval_split',
  reward_funcs: 'rewards',
  reward_model_path: 'model.reward_path',
  sft_model_path: 'model.sft_path',
  ref_model: 'model.ref_path',
};

/**
 * The hint for an unknown key in a section (`''` for the top level, `train`, `datasets.0`...): a known
 * Hugging Face / TRL name's equivalent, else the closest of `candidates` (a typo), else the section where a
 * field of exactly that name lives (`learning_rate` at the top level is `train.learning_rate`).
 */
export function suggestKey(key: string, section: string, candidates: Iterable<string>): string {
  const alias = aliasOf(key, section);
  if (alias) return ` (did you mean "${alias}"? "${key}" is the Hugging Face / TRL name)`;
  const typo = didYouMean(key, candidates);
  if (typo) return typo;
  const elsewhere = sectionFieldPaths().get(key)?.find((path) => path !== `${section}.${key}` && path !== key);
  return elsewhere ? ` (did you mean "${elsewhere}"?)` : '';
}

/** A known alias's target, unless it is the key itself in this section (`output_dir` is right under `logging:`). */
export function aliasOf(key: string, section: string): string | undefined {
  const target = KNOWN_ALIASES[key];
  if (!target) return undefined;
  const sectionName = section.split('.')[0];
  return target === `${sectionName}.${key}` ? undefined : target;
}

let fieldPaths: Map<string, string[]> | undefined;

/** field name → its paths in the top level and the mapping sections (model, train, logging...). */
function sectionFieldPaths(): Map<string, string[]> {
  if (fieldPaths) return fieldPaths;
  fieldPaths = new Map();
  const add = (name: string, path: string) => fieldPaths!.set(name, [...(fieldPaths!.get(name) ?? []), path]);
  for (const [name, field] of describeFields(UnifiedConfig)) {
    add(name, name);
    if (field.kind === 'nested' && field.nested) for (const inner of describeFields(field.nested).keys()) add(inner, `${name}.${inner}`);
  }
  return fieldPaths;
}
