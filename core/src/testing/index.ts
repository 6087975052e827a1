// @aligntune/core/testing: what a plugin's or application's tests need — a kernel harness and tiny
// tokenizer fixtures. None of this is part of the runtime API (the root and layer entry points).
import 'reflect-metadata';
export { startTestKernel, type TestKernel, type TestKernelOptions, type TestPlugin } from './start-test-kernel.js';
export { GPT2_EOS, buildGpt2TokenizerFiles } from '../models/fixtures/gpt2-tokenizer.js';
export { CHATML_TEMPLATE, TINY_CHAT_SPECIAL_TOKENS, buildTinyChatTokenizerFiles } from '../models/fixtures/tiny-chat-tokenizer.js';
export { trainBpeMerges } from '../models/fixtures/train-bpe.js';
