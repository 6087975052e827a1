// PPO exactness on the onnxruntime-node backend, its gpt2 case (ppo-exactness.test.ts runs every case on the default backend, ort-capi).
import './use-node-backend.js';
import './ppo-exactness.test.js';
