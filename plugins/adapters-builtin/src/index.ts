export { ChatAdapter } from './chat-adapter.js';
export { HhRlhfAdapter, parseDialogue } from './hh-rlhf-adapter.js';
export { UltraFeedbackAdapter } from './ultrafeedback-adapter.js';
export { AlpacaAdapter } from './alpaca-adapter.js';
export { QaAdapter, finalAnswer } from './qa-adapter.js';
export { PromptCompletionAdapter } from './prompt-completion-adapter.js';
