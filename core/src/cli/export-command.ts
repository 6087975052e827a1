import type { Command } from 'commander';
import { exportOnnx } from '../models/graph/export-onnx.js';
import { loadModel } from '../models/roles/load-model.js';
import { resolveModelDir } from '../data/hub/resolve-model-dir.js';
import type { CliContext } from './cli-context.js';

/** `aligntune export onnx`: the KV-cache inference graph plus config and tokenizer files, in a Hub ONNX repo's layout. */
export function registerExportCommand(program: Command, context: CliContext): void {
  const exp = program.command('export').description('export models to other runtimes');
  exp
    .command('onnx')
    .description('write onnx/model.onnx with a KV cache (inputs input_ids, attention_mask, position_ids, past_key_values.N.key/value; outputs logits, present.N.key/value) plus config and tokenizer files: the layout transformers.js and Optimum load')
    .requiredOption('--model <dir>', 'a Hugging Face model directory (config.json + safetensors) or Hub model id')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (options: { model: string; out: string }) => {
      const kernel = await context.projectKernel();
      const model = await loadModel(options.model, { kernel, resolveDir: (id) => resolveModelDir(id) });
      const { files, bytes } = await exportOnnx(model, options.out);
      context.io.stdout(`exported ${model.config.modelType} (${model.config.numLayers} layers) to ${options.out}: ${files.join(', ')} (${(bytes / 2 ** 20).toFixed(1)} MiB)\n`);
    });
}
