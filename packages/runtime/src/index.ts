/** @packageDocumentation The backend-agnostic core of peftjs: Adapter, BaseCheckpoint, merging and combining PEFT adapters, sessions with PEFT's adapter API (ONNX Runtime and file access injected). */

export { COMBINATION_TYPES, type CombinationType, isCombinationType } from '@peftjs/kernels';
export { Adapter, type AdapterFormat, type AdapterInit } from './adapter.js';
export {
  type AdapterParam,
  type ParsedKey,
  PEFT_KEY_PREFIX,
  parseAdapterKey,
  stripPeftPrefix,
} from './adapter-keys.js';
export type { AdaloraParts, AdapterLayer, AdapterReplacement, Ia3Layer, LoraLayer } from './adapter-layer.js';
export { type AdapterTensor, derivedTensor, memoryTensor, safetensorsTensor } from './adapter-tensor.js';
export {
  BaseCheckpoint,
  type CheckpointTensorInfo,
  type OpenBaseCheckpointOptions,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_WEIGHTS_NAME,
} from './base-checkpoint.js';
export type { CheckpointIndex } from './checkpoint-index.js';
export { type CombineAdaptersOptions, combineAdapters, type WeightedAdapter } from './combine-adapters.js';
export type { AdapterFeed, AdapterFeedType } from './dynamic/assemble-feeds.js';
export {
  type AdapterFeeds,
  type AdapterSelection,
  buildAdapterFeeds,
  type DynamicModelInputs,
} from './dynamic/build-adapter-feeds.js';
export { dynamicTargets } from './dynamic/dynamic-targets.js';
export { AdapterError, type AdapterErrorCode, type AdapterErrorOptions, isAdapterError } from './errors.js';
export { type FileAccess, type FileSource, memoryFiles, readAllBytes, readAllText } from './file-access.js';
export type { FinishReason } from './generation/batch-decoder.js';
export {
  CausalLM,
  type CausalLMParts,
  type GenerateOptions,
  type GenerationChunk,
  type GenerationPrompt,
  type GenerationResult,
} from './generation/causal-lm.js';
export {
  DEFAULT_MAX_NEW_TOKENS,
  type GenerationOptions,
  newTokenBudget,
  type ResolvedGeneration,
  resolveGeneration,
} from './generation/generation-config.js';
export { CacheLayout } from './generation/kv-cache.js';
export { type ModelConfig, parseModelConfig } from './generation/model-config.js';
export { ONNX_SUBFOLDER, readTextModelFiles, type TextModelFiles } from './generation/model-folder.js';
export { type ChatMessage, type ChatTemplateOptions, TextTokenizer } from './generation/text-tokenizer.js';
export type { Random } from './generation/token-sampler.js';
export { type AdapterSummary, inspectAdapter, type ModuleSummary } from './inspect-adapter.js';
export { createMemoryWriter, type MemoryWriter } from './memory-writer.js';
export {
  type CheckpointWriter,
  MERGE_CHUNK_BYTES,
  type MergeAdapterOptions,
  type MergeProgress,
  type MergeResult,
  mergeAdapter,
} from './merge-adapter.js';
export { type MergePlan, type PlannedTensor, planMerge, type TensorOperation } from './merge-plan.js';
export type { MergePool } from './merge-tensor.js';
export { ADAPTER_BIN_NAME, ADAPTER_SAFETENSORS_NAME, openAdapter } from './open-adapter.js';
export { KNOWN_CHECKPOINT_FILES } from './other-files.js';
export { formatFixed4, formatThousands } from './python-format.js';
export type { NameMapping } from './resolve-base-names.js';
export { adapterConfigText, adapterWeightChunks, saveAdapterFiles } from './save-adapter.js';
export {
  AdapterSession,
  type AdapterSessionOptions,
  BASE_ADAPTER_NAME,
  type RunOptions,
} from './session/adapter-session.js';
export type {
  Backend,
  BackendSession,
  BackendSessionOptions,
  BackendTensor,
  ExternalDataFile,
  TensorData,
  TensorMap,
  TensorType,
} from './session/backend.js';
export type { SessionMode } from './session/engine.js';
export { DEFAULT_SESSION_CACHE } from './session/merged-engine.js';
export type { InputMetadata } from './session/run-feeds.js';
export type { OnnxModelBytes } from './session/session-model.js';
export { tensorToFloat32 } from './session/tensor-values.js';
export {
  countParameters,
  formatTrainableLine,
  type ParameterCount,
  type ParameterSource,
} from './trainable-parameters.js';
