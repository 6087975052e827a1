import type { HparamValue } from '../../training/metric-sink.js';
import { escapeHtml, formatNumber } from './html.js';

/** What identifies a run at a glance, as flattened config keys. */
const OVERVIEW = [/^algo$/, /^logging\.run_name$/, /^model\.name_or_path$/, /^datasets\.\d+\.name$/, /^tasks\.\d+\.name$/, /^rewards\.\d+\.type$/, /^distributed\.backend$/];

/** The config summary: the overview keys, every `train.*` setting, and the whole config.resolved.yaml folded away. */
export function renderConfig(settings: Readonly<Record<string, HparamValue>>, configYaml: string | undefined): string {
  const entries = Object.entries(settings);
  const overview = OVERVIEW.flatMap((pattern) => entries.filter(([key]) => pattern.test(key)));
  const train = entries.filter(([key]) => key.startsWith('train.')).map(([key, value]): [string, HparamValue] => [key.slice('train.'.length), value]);
  if (!overview.length && !train.length) return '<p class="empty">No configuration found (config.resolved.yaml or hparams.json).</p>';
  const yaml = configYaml === undefined ? '' : `<details class="yaml"><summary>config.resolved.yaml</summary><pre>${escapeHtml(configYaml)}</pre></details>`;
  return `${pairsHtml(overview, 'overview')}${train.length ? `<h3>Training settings</h3>${pairsHtml(train, 'settings')}` : ''}${yaml}`;
}

function pairsHtml(pairs: ReadonlyArray<readonly [string, HparamValue]>, kind: string): string {
  const items = pairs.map(([key, value]) => `<div><dt>${escapeHtml(key)}</dt><dd>${escapeHtml(typeof value === 'number' ? formatNumber(value) : String(value))}</dd></div>`);
  return `<dl class="${kind}">${items.join('')}</dl>`;
}
