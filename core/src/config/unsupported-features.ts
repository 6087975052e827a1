import type { ConfigIssue } from './config-validation-error.js';
import type { UnifiedConfig } from './unified-config.js';

/**
 * Settings the spec defines but this installation cannot honour yet. They are errors, never silently
 * ignored: a user asking for bf16 or gradient checkpointing must not get an fp32 run without noticing.
 * Relax a rule here when the feature lands.
 */
export function unsupportedFeatureIssues(config: UnifiedConfig): ConfigIssue[] {
  return [...modelIssues(config), ...distributedIssues(config)];
}

const BACKEND = 'the cpu compute backend';

function modelIssues(config: UnifiedConfig): ConfigIssue[] {
  const model = config.model;
  if (!model) return [];
  const issues: ConfigIssue[] = [];
  if (model.precision === 'fp16' || model.precision === 'bf16') {
    issues.push({ path: 'model.precision', message: `${model.precision} is not supported by ${BACKEND} yet; use fp32 or auto` });
  }
  if (isNonEmptyMapping(model.quantization)) {
    issues.push({ path: 'model.quantization', message: `quantization is not supported by ${BACKEND} yet; remove it or leave it empty` });
  }
  if (model.gradient_checkpointing === true) {
    issues.push({ path: 'model.gradient_checkpointing', message: `gradient checkpointing is not supported by ${BACKEND} yet; set it to false` });
  }
  if (isNonEmptyMapping(model.max_memory)) {
    issues.push({ path: 'model.max_memory', message: `per-device memory limits are not supported by ${BACKEND} yet; remove max_memory` });
  }
  const attn = model.attn_implementation;
  if (attn === 'sdpa' || attn === 'flash_attention_2' || attn === 'flex_attention') {
    issues.push({ path: 'model.attn_implementation', message: `"${attn}" is not supported by ${BACKEND} yet; use "eager" or "auto"` });
  }
  return issues;
}

function distributedIssues(config: UnifiedConfig): ConfigIssue[] {
  const d = config.distributed;
  if (d?.backend !== 'single') return [];
  const issues: ConfigIssue[] = [];
  if (typeof d.nodes === 'number' && d.nodes > 1) {
    issues.push({ path: 'distributed.nodes', message: 'the "single" backend runs one process: nodes must be 1' });
  }
  if (typeof d.gpus_per_node === 'number' && d.gpus_per_node > 1) {
    issues.push({ path: 'distributed.gpus_per_node', message: 'the "single" backend runs one process: gpus_per_node must be 1' });
  }
  return issues;
}

function isNonEmptyMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}
