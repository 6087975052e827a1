import type { ConfigIssue } from './config-validation-error.js';
import type { UnifiedConfig } from './unified-config.js';

/** Storage formats of quantized frozen weights: bitsandbytes' 4-bit types, onnxruntime's int4, and int8 (load_in_8bit). */
export type QuantFormat = 'nf4' | 'fp4' | 'int4' | 'int8';
const QUANT_TYPES_4BIT = ['nf4', 'fp4', 'int4'] as const;

/** What `model.quantization` asks for, once checked. */
export interface QuantizationSpec {
  readonly format: QuantFormat;
  /** Elements per absmax scale. */
  readonly blockSize: number;
}

/** bitsandbytes' blocksize for quantize_4bit; onnxruntime's MatMulNBits tools default to 32 (set block_size for that). */
const DEFAULT_BLOCK_SIZE = 64;

const KEYS = ['load_in_4bit', 'load_in_8bit', 'bnb_4bit_quant_type', 'block_size', 'bnb_4bit_compute_dtype', 'bnb_4bit_use_double_quant'] as const;
/** Spellings of float32 for bnb_4bit_compute_dtype, as transformers accepts them. */
const FLOAT32_NAMES = ['float32', 'fp32', 'torch.float32'];
const PATH = 'model.quantization';

/**
 * `model.quantization` as transformers' BitsAndBytesConfig spells it. An empty mapping is no quantization;
 * a key that cannot act here (unknown, double quantization, a 16-bit compute dtype on the CPU backend) is an issue.
 */
export function parseQuantization(raw: Readonly<Record<string, unknown>>): { spec?: QuantizationSpec; issues: ConfigIssue[] } {
  const issues = keyIssues(raw);
  const four = raw.load_in_4bit === true;
  const eight = raw.load_in_8bit === true;
  if (four && eight) issues.push({ path: PATH, message: 'set load_in_4bit or load_in_8bit, not both' });
  if (!four && !eight) {
    // load_in_4bit: false alone says "no quantization"; any other key would have nothing to act on
    const idle = Object.keys(raw).filter((key) => key !== 'load_in_4bit' && key !== 'load_in_8bit');
    if (idle.length > 0) issues.push({ path: PATH, message: `${idle.join(', ')}: needs load_in_4bit: true or load_in_8bit: true (or leave quantization empty)` });
    return { issues };
  }
  if (eight && !four) issues.push(...fourBitOnlyIssues(raw));
  const format = eight ? 'int8' : quantType(raw, issues);
  const blockSize = blockSizeOf(raw, issues);
  return issues.length ? { issues } : { spec: { format, blockSize }, issues };
}

/** The issues of `model.quantization`, for config validation. */
export function quantizationIssues(config: UnifiedConfig): ConfigIssue[] {
  const raw = config.model?.quantization;
  return raw && typeof raw === 'object' ? parseQuantization(raw).issues : [];
}

function keyIssues(raw: Readonly<Record<string, unknown>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) issues.push({ path: `${PATH}.${key}`, message: `unknown key (supported: ${KEYS.join(', ')})` });
  }
  for (const key of ['load_in_4bit', 'load_in_8bit', 'bnb_4bit_use_double_quant']) {
    if (key in raw && typeof raw[key] !== 'boolean') issues.push({ path: `${PATH}.${key}`, message: 'must be true or false' });
  }
  if (raw.bnb_4bit_use_double_quant === true) {
    issues.push({ path: `${PATH}.bnb_4bit_use_double_quant`, message: 'double quantization (8-bit absmax) is not supported yet; set it to false' });
  }
  const compute = raw.bnb_4bit_compute_dtype;
  if (compute !== undefined && !FLOAT32_NAMES.includes(String(compute))) {
    issues.push({ path: `${PATH}.bnb_4bit_compute_dtype`, message: `"${String(compute)}": the cpu compute backend dequantizes to and computes in float32; use float32` });
  }
  return issues;
}

function fourBitOnlyIssues(raw: Readonly<Record<string, unknown>>): ConfigIssue[] {
  return Object.keys(raw)
    .filter((key) => key.startsWith('bnb_4bit_') && key !== 'bnb_4bit_use_double_quant')
    .map((key) => ({ path: `${PATH}.${key}`, message: 'applies to load_in_4bit only' }));
}

/** transformers' default quant type is fp4. */
function quantType(raw: Readonly<Record<string, unknown>>, issues: ConfigIssue[]): QuantFormat {
  const value = raw.bnb_4bit_quant_type ?? 'fp4';
  if ((QUANT_TYPES_4BIT as readonly unknown[]).includes(value)) return value as QuantFormat;
  issues.push({ path: `${PATH}.bnb_4bit_quant_type`, message: `"${String(value)}" is not one of ${QUANT_TYPES_4BIT.join(', ')}` });
  return 'fp4';
}

function blockSizeOf(raw: Readonly<Record<string, unknown>>, issues: ConfigIssue[]): number {
  const value = raw.block_size ?? DEFAULT_BLOCK_SIZE;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 16 && value <= 4096 && (value & (value - 1)) === 0) return value;
  issues.push({ path: `${PATH}.block_size`, message: `must be a power of two from 16 to 4096, got ${JSON.stringify(value)}` });
  return DEFAULT_BLOCK_SIZE;
}
