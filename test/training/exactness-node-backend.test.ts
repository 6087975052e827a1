// SFT and DPO exactness on the onnxruntime-node backend, on gpt2 (exactness.test.ts runs the whole matrix on the default backend, ort-capi).
import './use-node-backend.js';
import './exactness.test.js';
