import 'reflect-metadata';

// kernel
export * from './kernel/extension-point.js';
export * from './kernel/contribution.js';
// engine
export * from './engine/index.js';
