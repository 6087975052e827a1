// LoRA exactness on the onnxruntime-node backend, on gpt2 (lora-exactness.test.ts runs every architecture on the default backend, ort-capi).
import '../training/use-node-backend.js';
import './lora-exactness.test.js';
