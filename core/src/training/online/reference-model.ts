import { ConfigValidationError } from '../../config/config-validation-error.js';
import type { Kernel } from '../../kernel/kernel.js';
import { DecoderModel } from '../../models/roles/decoder-model.js';
import { loadFrozenModel } from '../../models/roles/load-model.js';
import type { FrozenWeights } from '../../models/quant/frozen-weights.js';
import type { PolicyModel } from '../../models/roles/policy-model.js';

export interface ReferenceSource {
  readonly policy: PolicyModel;
  /** model.ref_path resolved to a local directory, when set. */
  readonly refDir?: string;
  /** The directory the policy started from, and the checkpoint being resumed. */
  readonly startDir: string;
  readonly resumeDir?: string;
  readonly kernel: Kernel;
  /** Gives the reference model.precision / model.quantization's storage. */
  readonly frozen: FrozenWeights;
}

/**
 * The KL reference: model.ref_path, else the starting policy. Without a resume, the starting policy's weights are
 * shared with the policy's initial ones (its updates replace map entries, never write into these tensors): no
 * second copy, unless its storage (bf16, quantized) makes one. With LoRA it is the policy with its adapter switched
 * off (TRL with PEFT): the frozen base, already stored as configured and shared, also when resuming. A loaded
 * reference must read the policy's token ids.
 */
export async function loadReferenceModel(s: ReferenceSource): Promise<DecoderModel> {
  const dir = s.refDir ?? s.startDir;
  const adapter = s.policy.model.adapter;
  if (adapter && dir === s.startDir) return s.policy.model.withAdapter(adapter.disabled());
  if (dir === s.startDir && !s.resumeDir) {
    return s.frozen.freeze(new DecoderModel({ ...s.policy.model, weights: new Map(s.policy.model.weights) }), { sharesPolicyWeights: true });
  }
  const reference = await loadFrozenModel(dir, s.frozen, { kernel: s.kernel });
  checkVocabulary(reference, s.policy, s.refDir ? 'model.ref_path' : 'model.sft_path / model.name_or_path');
  return reference;
}

/** A model that reads the policy's token ids (reference, value, reward model) must share its vocabulary. */
export function checkVocabulary(model: DecoderModel, policy: PolicyModel, field: string): void {
  const mine = model.config.vocabSize;
  const policyVocab = policy.model.config.vocabSize;
  if (mine !== policyVocab) {
    throw new ConfigValidationError([{ path: field, message: `has a vocabulary of ${mine} tokens, the policy ${policyVocab}: it must use the policy's tokenizer` }]);
  }
}
