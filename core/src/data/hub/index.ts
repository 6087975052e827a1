export * from './hub-settings.js';
export * from './hub-repo.js';
export * from './hub-error.js';
export * from './dataset-card.js';
export * from './hub-client.js';
export * from './download-repo-files.js';
export { HubCacheLayout } from './hub-cache-layout.js';
export * from './resolve-model-dir.js';
