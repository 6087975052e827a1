// Imported first by the *-node-backend.test.ts files: the training tests they re-run use onnxruntime-node ('cpu')
// instead of the default (the C API backend), so `npm test` checks exactness on both CPU backends; casesForBackend
// (helpers.ts) then runs each algorithm once on one architecture rather than the whole matrix.
process.env.ALIGNTUNE_TEST_BACKEND = 'cpu';
process.env.ALIGNTUNE_TEST_TWIN = '1';
