// GRPO-family exactness on the onnxruntime-node backend, each algorithm once (grpo-exactness.test.ts runs the whole matrix on the default backend, ort-capi).
import './use-node-backend.js';
import './grpo-exactness.test.js';
