// QLoRA exactness on the onnxruntime-node backend (qlora-exactness.test.ts runs it on the default backend, ort-capi).
import '../training/use-node-backend.js';
import './qlora-exactness.test.js';
