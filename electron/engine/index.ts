/**
 * The NVG engine's public API: pure TypeScript + onnxruntime-node, no Electron (it runs in a
 * worker thread / utilityProcess). Load a pack, generate (with pins, progress and cancellation),
 * encode a reference image, and keep VGS records.
 */
export { EngineError, isEngineError, type EngineErrorCode } from './errors.js';
export {
  GRAPH_NAMES, LIMITS, PACK_FORMAT, PACK_FORMAT_VERSION, validateManifest,
  type GraphName, type PackClass, type PackFile, type PackManifest, type SamplingParams,
} from './manifest.js';
export {
  graphSignatures, loadPack, providerPreference,
  type LoadPackOptions, type Pack, type PackDims, type ProviderChoice, type ProviderName, type ProviderReport,
} from './pack.js';
export { Models, type ModelTimings } from './models.js';
export { MAX_COUNT, normalizeRequest, type Pins, type StagePin, type StructureOrigin } from './request.js';
export {
  generate, resultToRgba,
  type GenerateRequest, type GenerateResult, type GenerationTimings, type StageProgress,
} from './generate.js';
export { encodeLatent, encodeReference, type EncodedReference } from './reference.js';
export { imageToRgb, imageToRgba, pixelsToTensor, type PixelImage } from './image.js';
export {
  parseVgs, serializeVgs, vgsFromReference, vgsFromResult, vgsToRequest, VGS_FORMAT, VGS_VERSION,
  type StageSource, type VgsRecord, type VgsStage,
} from './vgs.js';
export * as structure from './structure.js';
export * as sampling from './sampling.js';
export * as rand from './rand.js';
