// LoRA exactness on the onnxruntime-node backend (lora-exactness.test.ts runs it on the default backend, ort-capi).
import '../training/use-node-backend.js';
import './lora-exactness.test.js';
