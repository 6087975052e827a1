// LoRA GRPO / RLOO / reward exactness on the onnxruntime-node backend (lora-online-exactness.test.ts runs them on the default backend, ort-capi).
import '../training/use-node-backend.js';
import './lora-online-exactness.test.js';
