import { decoderPresetFields, llamaLineageTraits, type ModelTypeTraits, type PresetDims } from '@aligntune/core/models';
import { MOE_CHECKPOINT_CONFIGS } from './moe-checkpoint-configs.js';
import { readMoeConfig, type MoeConfig, type MoeVariant } from './moe-config.js';
import { MIXTRAL_NAMING, moeTensorSpecs, QWEN_NAMING, type ExpertNaming } from './moe-tensor-layout.js';

/** The traits of an MoE model type: how it reads config.json (`variant`), names its tensors, and its `model init` config.json. */
function moeTraits(modelType: string, variant: MoeVariant, naming: ExpertNaming, classPrefix: string, preset: (d: PresetDims) => Record<string, unknown>): ModelTypeTraits<MoeConfig> {
  return llamaLineageTraits({ readConfig: (fields) => readMoeConfig(fields, variant), tensorSpecs: moeTensorSpecs(naming), classPrefix, presetConfig: preset, checkpointPresets: checkpointPresetsOf(modelType) });
}

/** The model type's real checkpoints as `model init` presets, named by their Hub repository (`mixtral-8x7b-v0.1`). */
function checkpointPresetsOf(modelType: string): Record<string, Readonly<Record<string, unknown>>> {
  const ofType = Object.entries(MOE_CHECKPOINT_CONFIGS).filter(([, config]) => config.model_type === modelType);
  return Object.fromEntries(ofType.map(([hubId, config]) => [hubId.split('/')[1]!.toLowerCase(), config]));
}

/** Presets route among 4 experts, 2 per token: enough to exercise routing while dense routing stays cheap (2× the active FLOPs). */
const PRESET_EXPERTS = 4;
const PRESET_TOP_K = 2;

/** What every MoE preset shares, as save_pretrained writes it (dropout 0: the engine has none; no aux loss, as transformers' default). */
function presetFields(d: PresetDims): Record<string, unknown> {
  return {
    ...decoderPresetFields(d),
    rope_theta: 10000,
    rope_scaling: null,
    num_experts_per_tok: PRESET_TOP_K,
    output_router_logits: false,
    router_aux_loss_coef: 0.001,
    tie_word_embeddings: false,
  };
}

/** Qwen2-MoE and Qwen3-MoE: experts of half the dense intermediate size, every layer sparse. */
function qwenMoePreset(d: PresetDims): Record<string, unknown> {
  return { ...presetFields(d), rms_norm_eps: 1e-6, num_experts: PRESET_EXPERTS, moe_intermediate_size: d.intermediate / 2, decoder_sparse_step: 1, mlp_only_layers: [], use_sliding_window: false, sliding_window: null };
}

/** The model types this plugin reads; pass it to parseModelConfig where no kernel is at hand. */
export const MOE_MODEL_TYPES: { readonly [modelType in 'mixtral' | 'qwen2_moe' | 'qwen3_moe' | 'olmoe']: ModelTypeTraits<MoeConfig> } = {
  mixtral: moeTraits(
    'mixtral',
    { maxPositions: 4096 * 32, rmsNormEps: 1e-5, ropeTheta: 1e6, attentionBias: 'none', qkNorm: null, expertsField: 'num_local_experts', numExperts: 8, numExpertsPerTok: 2, expertSizeField: 'intermediate_size', expertIntermediateSize: 14336, normTopkProb: 'always', sharedExpert: false, denseLayers: false, slidingWindow: true, routerAuxLossCoef: 0.001 },
    MIXTRAL_NAMING,
    'Mixtral',
    (d) => ({ architectures: ['MixtralForCausalLM'], model_type: 'mixtral', ...presetFields(d), rms_norm_eps: 1e-5, num_local_experts: PRESET_EXPERTS, sliding_window: null, router_jitter_noise: 0 }),
  ),
  qwen2_moe: moeTraits(
    'qwen2_moe',
    { maxPositions: 32768, rmsNormEps: 1e-6, ropeTheta: 10000, attentionBias: 'qkv_bias', qkNorm: null, expertsField: 'num_experts', numExperts: 60, numExpertsPerTok: 4, expertSizeField: 'moe_intermediate_size', expertIntermediateSize: 1408, normTopkProb: false, sharedExpert: true, denseLayers: true, slidingWindow: false, routerAuxLossCoef: 0.001 },
    QWEN_NAMING,
    'Qwen2Moe',
    (d) => ({ architectures: ['Qwen2MoeForCausalLM'], model_type: 'qwen2_moe', ...qwenMoePreset(d), shared_expert_intermediate_size: d.intermediate, norm_topk_prob: false }),
  ),
  qwen3_moe: moeTraits(
    'qwen3_moe',
    { maxPositions: 32768, rmsNormEps: 1e-6, ropeTheta: 10000, attentionBias: 'attention_bias', qkNorm: 'head', expertsField: 'num_experts', numExperts: 128, numExpertsPerTok: 8, expertSizeField: 'moe_intermediate_size', expertIntermediateSize: 768, normTopkProb: false, sharedExpert: false, denseLayers: true, slidingWindow: false, routerAuxLossCoef: 0.001 },
    QWEN_NAMING,
    'Qwen3Moe',
    (d) => ({ architectures: ['Qwen3MoeForCausalLM'], model_type: 'qwen3_moe', ...qwenMoePreset(d), head_dim: d.hidden / d.heads, attention_bias: false, norm_topk_prob: true }),
  ),
  olmoe: moeTraits(
    'olmoe',
    { maxPositions: 4096, rmsNormEps: 1e-5, ropeTheta: 10000, attentionBias: 'attention_bias', qkNorm: 'projection', expertsField: 'num_experts', numExperts: 64, numExpertsPerTok: 8, expertSizeField: 'intermediate_size', expertIntermediateSize: 2048, normTopkProb: false, sharedExpert: false, denseLayers: false, slidingWindow: false, routerAuxLossCoef: 0.01 },
    QWEN_NAMING,
    'Olmoe',
    (d) => ({ architectures: ['OlmoeForCausalLM'], model_type: 'olmoe', ...presetFields(d), num_key_value_heads: d.heads, rms_norm_eps: 1e-5, num_experts: PRESET_EXPERTS, norm_topk_prob: false, attention_bias: false, clip_qkv: null, router_aux_loss_coef: 0.01 }),
  ),
};
