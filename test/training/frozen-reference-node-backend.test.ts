// DPO with a stored reference on the onnxruntime-node backend (frozen-reference.test.ts runs it on the default backend, ort-capi).
import './use-node-backend.js';
import './frozen-reference.test.js';
