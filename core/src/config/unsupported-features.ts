import type { ConfigIssue } from './config-validation-error.js';
import { parseByteSize } from './byte-size.js';
import { HOST_DEVICE } from './compute-config.js';
import type { UnifiedConfig } from './unified-config.js';

/**
 * Settings the spec defines but this installation cannot honour yet. They are errors, never silently
 * ignored: a user asking for flash attention must not get eager attention without noticing.
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
  issues.push(...maxMemoryIssues(model.max_memory));
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

/** `model.max_memory`: a size for the host, which the trainer checks; another device key would be ignored, so it is refused. */
function maxMemoryIssues(maxMemory: Record<string, string> | undefined): ConfigIssue[] {
  if (!isNonEmptyMapping(maxMemory)) return [];
  return Object.entries(maxMemory!).flatMap(([device, size]): ConfigIssue[] => {
    const path = `model.max_memory.${device}`;
    if (device !== HOST_DEVICE) {
      return [{ path, message: `only the host budget is checked (key "${HOST_DEVICE}"); a budget for device "${device}" is not supported yet` }];
    }
    if (typeof size !== 'string' || parseByteSize(size) === undefined) return [{ path, message: `"${size}" is not a size: give a number with a unit, e.g. "8GiB", "8GB" or "512MiB"` }];
    return [];
  });
}

function isNonEmptyMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}
