// SFT and DPO exactness on the onnxruntime-node backend (exactness.test.ts runs them on the default backend, ort-capi).
import './use-node-backend.js';
import './exactness.test.js';
