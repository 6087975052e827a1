// Frozen models from bf16 directories of their own on the onnxruntime-node backend (frozen-companions-run.test.ts runs them on the default backend, ort-capi).
import './use-node-backend.js';
import './frozen-companions-run.test.js';
