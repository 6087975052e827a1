import type { Kernel } from '../kernel/kernel.js';
import { DataError } from './data-error.js';
import { DataExtensionPoints } from './extension-points.js';
import type { RecordAdapter } from './record-adapter.js';
import { columnList, type Row } from './row.js';

/** The schema adapters a run can use, created once through the kernel. */
export class AdapterCatalog {
  private readonly created = new Map<string, Promise<RecordAdapter>>();

  constructor(private readonly kernel: Kernel) {}

  get(id: string): Promise<RecordAdapter> {
    let adapter = this.created.get(id);
    if (!adapter) {
      adapter = this.kernel.create(DataExtensionPoints.schemaAdapter, id);
      this.created.set(id, adapter);
    }
    return adapter;
  }

  async all(): Promise<Map<string, RecordAdapter>> {
    const ids = this.kernel.ids(DataExtensionPoints.schemaAdapter.kind);
    return new Map(await Promise.all(ids.map(async (id) => [id, await this.get(id)] as const)));
  }

  /** The adapter named by `id`, or the one detected from the first row (see detectAdapter). */
  async choose(id: string | undefined, firstRow: Row, dataset: string): Promise<{ id: string; adapter: RecordAdapter }> {
    if (id) return { id, adapter: await this.get(id) };
    const adapters = await this.all();
    const detected = detectAdapter(firstRow, adapters);
    if (!detected) throw noAdapterFits(dataset, firstRow, adapters);
    return { id: detected, adapter: adapters.get(detected)! };
  }
}

/**
 * The adapter for a row: among those whose required columns the row has, the one requiring the most (the
 * most specific); on a tie, the first (by id) that adapts the row.
 */
export function detectAdapter(row: Row, adapters: ReadonlyMap<string, RecordAdapter>): string | undefined {
  const candidates = [...adapters]
    .filter(([, adapter]) => adapter.requiredColumns.every((column) => column in row))
    .sort(([a, x], [b, y]) => y.requiredColumns.length - x.requiredColumns.length || a.localeCompare(b));
  const fitting = candidates.find(([, adapter]) => adapter.adapt(row).record !== undefined);
  return (fitting ?? candidates[0])?.[0];
}

/** Names the columns found and what each adapter expects. */
export function noAdapterFits(dataset: string, row: Row, adapters: ReadonlyMap<string, RecordAdapter>): DataError {
  const expected = [...adapters].map(([id, a]) => `${id} (${a.requiredColumns.join(', ')})`).join('; ');
  return new DataError(
    `${dataset}: no schema adapter fits the columns ${columnList(row)}; expected one of: ${expected || 'none installed'}. ` +
      `Rename columns with column_mapping (?map.<new>=<old>) or set adapter.`,
  );
}
