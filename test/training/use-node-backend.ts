// Imported first by the *-node-backend.test.ts files: the training tests they re-run use onnxruntime-node ('cpu')
// instead of the default (the C API backend), so `npm test` checks exactness on both CPU backends.
process.env.ALIGNTUNE_TEST_BACKEND = 'cpu';
