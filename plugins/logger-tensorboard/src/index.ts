export { TensorBoardLogger } from './tensorboard-logger.js';
