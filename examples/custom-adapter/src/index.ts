// The plugin's entry: every exported class carrying an aligntune decorator is registered.
export { ScoredAnswersAdapter, type ScoredAnswer } from './scored-answers-adapter.js';
