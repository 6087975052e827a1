export { Phi3Architecture } from './phi3-architecture.js';
export { PHI3_MODEL_TYPES } from './phi3-model-types.js';
export { readPhi3Config, type Phi3Config } from './phi3-config.js';
