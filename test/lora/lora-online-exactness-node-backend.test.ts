// LoRA GRPO / RLOO / PPO / reward exactness on the onnxruntime-node backend, on gpt2 (lora-online-exactness.test.ts runs every architecture on the default backend, ort-capi).
import '../training/use-node-backend.js';
import './lora-online-exactness.test.js';
