// RLOO exactness on the onnxruntime-node backend (rloo-exactness.test.ts runs it on the default backend, ort-capi).
import './use-node-backend.js';
import './rloo-exactness.test.js';
