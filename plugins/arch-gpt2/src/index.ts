export { Gpt2Architecture } from './gpt2-architecture.js';
