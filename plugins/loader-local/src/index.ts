export { LocalLoader } from './local-loader.js';
