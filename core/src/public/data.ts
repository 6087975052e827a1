// @aligntune/core/data — The data layer: the loader and adapter contracts, file readers, the Hub client, collation and tokenization.
// Named exports only: adding a name here is a deliberate change to the public API
// (test/packaging/public-api.test.ts compares it with test/packaging/public-api.names.json).
import 'reflect-metadata';
export { detectAdapter } from '../data/adapter-catalog.js';
export {
  type CanonicalRecord,
  type ChatMessage,
  type Prompt,
  isChatMessages,
  promptText,
  recordKind,
} from '../data/canonical-record.js';
export {
  type SequenceBatch,
  collatePairs,
  collatePrompts,
  collateSequences,
  lengthGroupedBatches,
} from '../data/collate.js';
export { DataError } from '../data/data-error.js';
export { DatasetCache } from '../data/dataset-cache.js';
export { DataExtensionPoints } from '../data/extension-points.js';
export { hashFile } from '../data/file-hash.js';
export { globToRegExp } from '../data/glob.js';
export { type CardConfig, parseCardConfigs } from '../data/hub/dataset-card.js';
export { downloadRepoFiles } from '../data/hub/download-repo-files.js';
export { HubClient } from '../data/hub/hub-client.js';
export { HubError } from '../data/hub/hub-error.js';
export { type HubRepo } from '../data/hub/hub-repo.js';
export { type HubSettings, hubSettingsFromEnv } from '../data/hub/hub-settings.js';
export { resolveModelDir } from '../data/hub/resolve-model-dir.js';
export { loadTrainingRecords, openDataset } from '../data/load-datasets.js';
export { mixCounts, mixDatasets } from '../data/mix-datasets.js';
export { type DataConfig, type PrepareOptions, cacheKeyParts, prepareDatasets } from '../data/prepare-datasets.js';
export { packRagged } from '../data/ragged.js';
export { fileFormatOf } from '../data/readers/data-format.js';
export { type DataFile, countDataFileRows, readDataFiles } from '../data/readers/read-data-file.js';
export {
  type AdaptResult,
  type RecordAdapter,
  adapted,
  describeBadField,
  passthroughColumns,
  skipRow,
  textField,
} from '../data/record-adapter.js';
export { type LoadContext, type RecordSource, type SplitSource } from '../data/record-source.js';
export { type Row, type SourceRow, formatOrigin } from '../data/row.js';
export { type CursorPosition, EpochCursor, epochOrder } from '../data/shuffle.js';
export { selectSplitFiles, splitsFound } from '../data/split-files.js';
export { type TaskDefinition } from '../data/task-definition.js';
export { type TokenizeOptions, tokenizeRecord, tokenizeRecords, truncateRecord } from '../data/tokenize-records.js';
export { TOKEN_COLUMNS, TokenizedDataset } from '../data/tokenized-dataset.js';
export { type RowReadOptions } from '../data/readers/read-data-file.js';
export { TokenTableWriter } from '../data/dataset-cache-file.js';
export { type TokenizedRowInfo } from '../data/tokenized-dataset.js';
export { mixEntries } from '../data/mix-datasets.js';
export { type TokenColumn } from '../data/tokenized-dataset.js';
