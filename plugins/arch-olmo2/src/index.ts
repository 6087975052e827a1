export { Olmo2Architecture } from './olmo2-architecture.js';
export { OLMO2_MODEL_TYPES } from './olmo2-model-types.js';
export { readOlmo2Config, type Olmo2Config } from './olmo2-config.js';
