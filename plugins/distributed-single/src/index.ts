export { SingleProcessGroup } from './single-process-group.js';
