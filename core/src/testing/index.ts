// @aligntune/core/testing: what a plugin's or application's tests need to set up a kernel.
export * from './start-test-kernel.js';
