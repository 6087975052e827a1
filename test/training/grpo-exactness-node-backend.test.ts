// GRPO exactness on the onnxruntime-node backend (grpo-exactness.test.ts runs it on the default backend, ort-capi).
import './use-node-backend.js';
import './grpo-exactness.test.js';
