export { WandbLogger } from './wandb-logger.js';
