import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where and how to reach the Hub. @huggingface/hub reads none of the env vars, so we pass these explicitly. */
export interface HubSettings {
  /** HF_ENDPOINT; default https://huggingface.co. No trailing slash. */
  endpoint: string;
  /** HF_TOKEN (or HUGGING_FACE_HUB_TOKEN, or the token file `huggingface-cli login` writes). Never logged. */
  token?: string;
  /** The Python-compatible hub cache: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub. */
  cacheDir: string;
  /** HF_HUB_OFFLINE=1: use only the cache and say what is missing. */
  offline: boolean;
  /** Custom fetch (tests count requests with it). */
  fetch?: typeof fetch;
}

type Env = Record<string, string | undefined>;

/** Python's truthy spellings for boolean env vars. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'on', 'yes', 'true'].includes(value.trim().toLowerCase());
}

/** The settings the environment describes, the way huggingface_hub (Python) reads it. */
export function hubSettingsFromEnv(env: Env = process.env, overrides: Partial<HubSettings> = {}): HubSettings {
  const home = hfHome(env);
  return {
    endpoint: (env.HF_ENDPOINT?.trim() || 'https://huggingface.co').replace(/\/+$/, ''),
    token: envToken(env, home),
    cacheDir: env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(home, 'hub'),
    offline: envFlag(env.HF_HUB_OFFLINE) || envFlag(env.HF_DATASETS_OFFLINE),
    ...overrides,
  };
}

function hfHome(env: Env): string {
  return env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
}

function envToken(env: Env, home: string): string | undefined {
  const fromEnv = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  try {
    return readFileSync(env.HF_TOKEN_PATH || join(home, 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
