import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { exportOnnx } from '../models/graph/export-onnx.js';
import { loadModel } from '../models/roles/load-model.js';
import { resolveModelDir } from '../data/hub/resolve-model-dir.js';
import type { CliContext } from './cli-context.js';
import { readAdapterSettings, withAdapterDir } from '../models/lora/peft-files.js';
import { UsageError } from './exit-codes.js';
import { saveDtype } from './option-parsers.js';
import { publishDtypes, torchDtypeName } from '../models/save-dtype.js';
import type { SaveDtype } from '../config/training-config.js';

/** `aligntune export onnx`: the KV-cache inference graph plus config and tokenizer files, in a Hub ONNX repo's layout. */
export function registerExportCommand(program: Command, context: CliContext): void {
  const exp = program.command('export').description('export models to other runtimes');
  exp
    .command('onnx')
    .description('write onnx/model.onnx with a KV cache (inputs input_ids, attention_mask, position_ids, past_key_values.N.key/value; outputs logits, present.N.key/value) plus config and tokenizer files: the layout transformers.js and Optimum load')
    .requiredOption('--model <dir>', 'a Hugging Face model directory (config.json + safetensors) or Hub model id')
    .requiredOption('--out <dir>', 'output directory')
    .option('--dtype <dtype>', 'dtype of the written weights: float32 (the default, as optimum exports), float16 or bfloat16 (stored rounded and cast to float32 in the graph: half the file, float32 inputs, logits and KV cache), or auto (the checkpoint\'s torch_dtype)', saveDtype, 'float32')
    .action(async (options: { model: string; out: string; dtype: SaveDtype }) => {
      const kernel = await context.projectKernel();
      const model = await loadModel(options.model, { kernel, resolveDir: (id) => resolveModelDir(id) });
      const dtype = publishDtypes(options.dtype, model.config.raw).weights;
      const { files, bytes } = await exportOnnx(model, options.out, { dtype });
      context.io.stdout(`exported ${model.config.modelType} (${model.config.numLayers} layers, ${torchDtypeName(dtype)} weights) to ${options.out}: ${files.join(', ')} (${(bytes / 2 ** 20).toFixed(1)} MiB)\n`);
    });
  exp
    .command('merged')
    .description('write a Hugging Face model directory with a LoRA adapter merged into its base (W + scale·B·A, PEFT\'s merge_and_unload), loadable without PEFT')
    .requiredOption('--adapter <dir>', 'a PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors), e.g. a LoRA run\'s final/')
    .option('--model <dir>', 'the base model directory or Hub id (default: the adapter\'s base_model_name_or_path)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--dtype <dtype>', 'dtype of the written weights: auto (the base checkpoint\'s torch_dtype, as merge_and_unload keeps the base dtype), float32, bfloat16 or float16', saveDtype, 'auto')
    .action(async (options: { adapter: string; model?: string; out: string; dtype: SaveDtype }) => {
      const { baseModel, sequenceClassifier } = await readAdapterSettings(options.adapter, '--adapter');
      const base = options.model ?? baseModel;
      if (!base) throw new UsageError(`--adapter ${options.adapter}: adapter_config.json names no base_model_name_or_path; give the base with --model`);
      const kernel = await context.projectKernel();
      const loaded = await loadModel(base, { kernel, resolveDir: (id) => resolveModelDir(id), ...(sequenceClassifier ? { scoreHead: { numLabels: 1 } } : {}) });
      const merged = (await withAdapterDir(loaded, options.adapter, '--adapter')).merged();
      const tokenizer = [options.adapter, loaded.source].find((dir) => dir !== undefined && existsSync(join(dir, 'tokenizer.json')));
      await merged.save(options.out, { tokenizer, dtype: publishDtypes(options.dtype, loaded.config.raw).weights });
      context.io.stdout(`merged ${options.adapter} into ${base}: ${options.out}\n`);
    });
}
