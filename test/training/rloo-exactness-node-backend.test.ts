// RLOO exactness on the onnxruntime-node backend, its first case (rloo-exactness.test.ts runs every case on the default backend, ort-capi).
import './use-node-backend.js';
import './rloo-exactness.test.js';
