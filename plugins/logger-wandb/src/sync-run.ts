import type { SinkLogger } from '@aligntune/core/training';
import { LocalRun } from './local-run.js';
import { RunUploader, runUrl } from './run-uploader.js';
import { WandbApi } from './wandb-api.js';
import { WandbUsageError, type WandbSettings } from './wandb-settings.js';

/**
 * Uploads a run directory (an offline run, or what an online run could not send) from where its last upload
 * stopped. WANDB_BASE_URL, when set, overrides the server the run recorded.
 */
export async function syncRunDir(dir: string, settings: WandbSettings, logger?: SinkLogger): Promise<{ uploaded: number; runId: string; url: string }> {
  if (!settings.apiKey) throw new WandbUsageError('WANDB_API_KEY is not set: uploading to W&B needs an API key (https://wandb.ai/authorize)');
  const local = LocalRun.load(dir, settings.tuning.queueBytes);
  const baseUrl = settings.baseUrlFromEnv ? settings.baseUrl : local.meta.base_url;
  const { tuning } = settings;
  const api = new WandbApi({ baseUrl, apiKey: settings.apiKey, retry: tuning, httpTimeoutMs: tuning.httpTimeoutMs, signal: new AbortController().signal });
  const before = local.sync.history_acked;
  await new RunUploader(local, api).drain();
  const url = runUrl(baseUrl, { entity: local.meta.entity ?? '', project: local.meta.project, runId: local.meta.id });
  logger?.info(`W&B: uploaded ${dir} to ${url}`);
  return { uploaded: local.sync.history_acked - before, runId: local.meta.id, url };
}
