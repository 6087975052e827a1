// @aligntune/core/models — The models layer: checkpoints, Hugging Face configs, tokenizers, model roles, graph builders and generation.
// Named exports only: adding a name here is a deliberate change to the public API
// (test/packaging/public-api.test.ts compares it with test/packaging/public-api.names.json).
import 'reflect-metadata';
export { type DecoderInputs, type ModelArchitecture, type WeightSource } from '../models/architecture.js';
export { encodeChatWithAssistantMask } from '../models/assistant-mask.js';
export { type AuxiliaryLoss, type AuxiliaryLossSink } from '../models/auxiliary-loss.js';
export { fromCanonicalWeights, toCanonicalWeights } from '../models/canonical-weights.js';
export { parseByteSize, planShards, readCheckpoint, writeCheckpoint } from '../models/checkpoint.js';
export { generationConfigFromModel, parseGenerationConfig, readGenerationConfig } from '../models/generation-config.js';
export { type TokenInputs, declareTokenInputs } from '../models/graph/causal-lm.js';
export { type WeightMode } from '../models/graph/graph-weights.js';
export { embedTokens, linear, splitHeads } from '../models/graph/layers.js';
export {
  alignToTokens,
  logProbsOf,
  maskedSum,
  sequenceLogProbs,
  tokenEntropy,
  tokenLogProbs,
  tokenStatistics,
  type TokenStatistics,
  type TokenStatisticsOptions,
} from '../models/graph/log-probs.js';
export { bf16BitsToNumber, bf16ToF32, f16BitsToNumber, f16ToF32, f32ToBf16, f32ToF16 } from '../models/half-float.js';
export {
  type HfModelConfig,
  parseModelConfig,
  readModelConfig,
  withSequenceClassificationHead,
} from '../models/hf-model-config.js';
export { initModelDir } from '../models/init-model-dir.js';
export { initWeights } from '../models/init-weights.js';
export { LoraAdapter } from '../models/lora/lora-adapter.js';
export { type LoraSettings } from '../models/lora/lora-settings.js';
export { ModelFileError } from '../models/json-fields.js';
export { loadModelDir, saveModelDir } from '../models/model-dir.js';
export { parameterCount, presetConfig } from '../models/model-presets.js';
export { codeTable } from '../models/quant/code-tables.js';
export { FrozenWeights, storeFrozen, weightStorage, type WeightStorage } from '../models/quant/frozen-weights.js';
export { dequantizeBlockwise, quantizeBlockwise, type QuantizedTensor } from '../models/quant/quantize-blockwise.js';
export { type StoredWeight } from '../models/quant/stored-weight.js';
export { DecoderModel, hostWeights } from '../models/roles/decoder-model.js';
export { loadFrozenModel, loadModel } from '../models/roles/load-model.js';
export { type StorageDtype } from '../models/save-dtype.js';
export { PolicyModel, REFERENCE_PREFIX, ReferenceModel } from '../models/roles/policy-model.js';
export { RewardModel } from '../models/roles/reward-model.js';
export { ValueModel } from '../models/roles/value-model.js';
export { leftPad, rightPad } from '../models/rollout/prompt-batch.js';
export { RolloutEngine } from '../models/rollout/rollout-engine.js';
export {
  DEFAULT_SAMPLER,
  type SamplerSettings,
  applyRepetitionPenalty,
  candidates,
  drawWeighted,
  filteredWeights,
  tokenLogProb,
} from '../models/rollout/sampler.js';
export { type StoredTensor } from '../models/safetensors-dtype.js';
export { SafetensorsError, SafetensorsReader, readSafetensors, writeSafetensors } from '../models/safetensors.js';
export { defaultTensorPrefix, tensorSpecs } from '../models/tensor-layout.js';
export { Tokenizer, type TokenizerFiles } from '../models/tokenizer.js';
export { JsonFields } from '../models/json-fields.js';
export { type ModelTypeTable } from '../models/model-type.js';
export { type ModelTypeTraits } from '../models/model-type.js';
export { llamaLineageTraits } from '../models/model-type.js';
export { type ParseConfigOptions } from '../models/hf-model-config.js';
export { type PresetDims } from '../models/model-type.js';
export { type PresetSize } from '../models/model-presets.js';
export { type PresetTokens } from '../models/model-presets.js';
export { type SharedConfigKey } from '../models/model-type.js';
export { linearSpecs } from '../models/tensor-layout.js';
export { normSpecs } from '../models/tensor-layout.js';
export { parseModelHead } from '../models/hf-model-config.js';
export { withConfigFields } from '../models/hf-model-config.js';
export { type LoadedModelDir } from '../models/model-dir.js';
export { type TensorSpec } from '../models/tensor-layout.js';
export { tensorSpec } from '../models/tensor-layout.js';
export { type RopeScaling, type RopeSettings, readRope, ropeAttentionScaling, ropeInverseFrequencies, ropeRotaryDim } from '../models/rope.js';
export { ropeTables } from '../models/graph/rope-tables.js';
export { type RotaryTables, applyRotary, rotaryTables } from '../models/graph/rotary.js';
export { type SelfAttentionSpec, gatedMlp, selfAttention } from '../models/graph/decoder-blocks.js';
export { type DecoderShape, type DecoderShapeDefaults, type PreNormDecoderLayout, decoderPresetFields, gatedMlpSpecs, preNormDecoderSpecs, readDecoderShape, selfAttentionSpecs } from '../models/decoder-layout.js';
export { type PreNormDecoderSpec, preNormDecoder } from '../models/graph/pre-norm-decoder.js';
export { type LayerAttention } from '../models/graph/attention.js';
