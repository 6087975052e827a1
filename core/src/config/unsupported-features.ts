import type { ConfigIssue } from './config-validation-error.js';
import { parseByteSize } from './byte-size.js';
import { HOST_DEVICE } from './compute-config.js';
import type { UnifiedConfig } from './unified-config.js';
import { isPlainMapping } from './field-rules.js';

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
  if (!d) return [];
  if (d.deepspeed_config !== undefined) return deepspeedIssues(d.deepspeed_config);
  if (d.backend !== 'single') return [];
  const issues: ConfigIssue[] = [];
  if (typeof d.nodes === 'number' && d.nodes > 1) {
    issues.push({ path: 'distributed.nodes', message: 'the "single" backend runs one process: nodes must be 1' });
  }
  if (typeof d.gpus_per_node === 'number' && d.gpus_per_node > 1) {
    issues.push({ path: 'distributed.gpus_per_node', message: 'the "single" backend runs one process: gpus_per_node must be 1' });
  }
  return issues;
}

/** The ZeRO stages whole-step graphs can run: 3 would gather each layer's parameters inside a step's graph. */
export const ZERO_STAGES = [1, 2] as const;

/** The spec's DeepSpeed config, whose backend (a plugin declaring `configKeys: ['deepspeed_config']`) acts on the ZeRO stage only. */
function deepspeedIssues(ds: unknown): ConfigIssue[] {
  const path = 'distributed.deepspeed_config';
  if (!isPlainMapping(ds)) return [];
  const issues: ConfigIssue[] = Object.keys(ds).filter((k) => k !== 'zero_optimization').map((k) => ({ path: `${path}.${k}`, message: 'is not supported: only zero_optimization.stage is acted on (batch sizes, precision and the optimizer come from train: and model:)' }));
  const zero = ds.zero_optimization;
  if (zero === undefined) return issues;
  if (!isPlainMapping(zero)) return [...issues, { path: `${path}.zero_optimization`, message: 'must be a mapping such as { stage: 2 }' }];
  for (const k of Object.keys(zero).filter((key) => key !== 'stage')) issues.push({ path: `${path}.zero_optimization.${k}`, message: 'is not supported: only stage is acted on' });
  if (zero.stage === 3) issues.push({ path: `${path}.zero_optimization.stage`, message: 'ZeRO stage 3 shards the parameters themselves, which needs per-layer gathers inside a step graph that aligntune cannot express yet; use stage 2 (sharded optimizer state and gradients)' });
  else if (zero.stage !== undefined && !(ZERO_STAGES as readonly unknown[]).includes(zero.stage)) issues.push({ path: `${path}.zero_optimization.stage`, message: `must be 1 or 2, got ${JSON.stringify(zero.stage)}` });
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
