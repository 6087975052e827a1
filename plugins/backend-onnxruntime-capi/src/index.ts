// @aligntune/plugin-backend-onnxruntime-capi: compute backends 'ort-capi' (cpu) and 'ort-capi-cuda' on onnxruntime's C API.
export { CapiBackend, CapiCudaBackend, probeCapiCpu, type CapiBackendOptions } from './capi-backend.js';
export { probeCuda, providerProblems, CUDA_PROVIDER_LIBRARIES } from './cuda-probe.js';
export { loadOrt, ortLibraryPath, EXPECTED_ORT_VERSION } from './ort-api.js';
