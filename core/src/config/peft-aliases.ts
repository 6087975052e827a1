import type { ConfigIssue } from './config-validation-error.js';
import { isPlainMapping } from './field-rules.js';
import { ALL_LINEAR } from './peft-config.js';

/**
 * The seed's flat LoRA spellings under `model:` and the `model.peft` field each one sets. They are accepted
 * (the seed's own configs use them) and read into `model.peft`, so one block is what runs, prints and is
 * reported. Any of them, like the block, switches LoRA on (the seed's default) unless `use_peft: false`.
 */
export const PEFT_ALIASES: Readonly<Record<string, string>> = {
  use_peft: 'enabled',
  lora_r: 'r',
  lora_alpha: 'lora_alpha',
  lora_dropout: 'lora_dropout',
  lora_target_modules: 'target_modules',
};

/**
 * Moves `model.use_peft` / `model.lora_*` into `model.peft` (in place, before validation) and turns a
 * `target_modules: "all-linear"` string into its one-item list. The same setting given both ways with two
 * different values is an issue naming both keys, as are LoRA settings with LoRA switched off.
 */
export function foldPeftAliases(plain: Record<string, unknown>, issues: ConfigIssue[]): void {
  const model = plain.model;
  if (!isPlainMapping(model)) return;
  const given = Object.keys(PEFT_ALIASES).filter((key) => key in model);
  if (given.length === 0 && !isPlainMapping(model.peft)) return;
  if (given.length > 0 && model.peft !== undefined && !isPlainMapping(model.peft)) return; // reported by validation
  const peft: Record<string, unknown> = isPlainMapping(model.peft) ? model.peft : {};
  for (const alias of given) {
    const field = PEFT_ALIASES[alias]!;
    const value = model[alias];
    delete model[alias];
    if (field in peft && JSON.stringify(peft[field]) !== JSON.stringify(value)) {
      issues.push({ path: `model.${alias}`, message: `conflicts with model.peft.${field} (${JSON.stringify(value)} vs ${JSON.stringify(peft[field])}): set one of them` });
      continue;
    }
    peft[field] = value;
  }
  if (peft.target_modules === ALL_LINEAR) peft.target_modules = [ALL_LINEAR];
  // LoRA off with LoRA settings would ignore them: refused (the seed's lora_r alone means LoRA on, its default)
  if (peft.enabled === false) {
    const ignored = Object.keys(peft).filter((key) => key !== 'enabled');
    if (ignored.length) issues.push({ path: 'model.peft.enabled', message: `is false, so ${ignored.join(', ')} would have no effect: remove them or enable LoRA` });
  }
  model.peft = peft;
}
