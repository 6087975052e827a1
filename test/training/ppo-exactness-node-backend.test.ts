// PPO exactness on the onnxruntime-node backend (ppo-exactness.test.ts runs it on the default backend, ort-capi).
import './use-node-backend.js';
import './ppo-exactness.test.js';
