// The plugin's entry: every exported class carrying an aligntune decorator is registered.
export { KeywordParams, KeywordReward } from './keyword-reward.js';
