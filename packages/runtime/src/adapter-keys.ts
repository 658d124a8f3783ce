import { AdapterError } from './errors.js';

/** The prefix PEFT's `save_pretrained` puts before every key (`PeftModel.base_model.model`). */
export const PEFT_KEY_PREFIX = 'base_model.model.';

/** An adapter parameter of a targeted module, by its name in saved files. */
export type AdapterParam =
  | 'lora_A'
  | 'lora_B'
  | 'lora_B.bias'
  | 'lora_E'
  | 'lora_embedding_A'
  | 'lora_embedding_B'
  | 'lora_magnitude_vector'
  | 'ia3_l';

/** What one saved key (prefix removed) is. */
export type ParsedKey =
  /** A tuner parameter of module `module`; `weightSuffix` tells `lora_A.weight` (LoRA) from `lora_A` (AdaLoRA). */
  | {
      readonly kind: 'adapter';
      readonly module: string;
      readonly param: AdapterParam;
      readonly weightSuffix: boolean;
    }
  /** `<module>.base_layer.<p>`: the wrapped base layer's own parameter (lora_only biases, saved embeddings). */
  | { readonly kind: 'base-layer'; readonly module: string; readonly baseName: string }
  /** `….modules_to_save.<p>` / `….original_module.<p>`: wrapper internals PEFT writes with `bias="all"` but never loads. */
  | { readonly kind: 'wrapper-internal' }
  /** Any other key: a base-model parameter the adapter replaces (modules_to_save, biases, resized embeddings). */
  | { readonly kind: 'base'; readonly baseName: string };

const TUNER_PARAM =
  /^(.+)\.(lora_A|lora_B|lora_E|lora_embedding_A|lora_embedding_B|lora_magnitude_vector|ia3_l)(\.weight|\.bias)?$/;

/**
 * Classifies one key of a PEFT adapter file (after {@link PEFT_KEY_PREFIX} is removed), following how PEFT 0.21's
 * `set_peft_model_state_dict` maps saved keys back onto the model.
 *
 * @param key - the key without `base_model.model.`
 * @returns what the key is
 * @throws {AdapterError} `BAD_ADAPTER` for a tuner-looking key PEFT never writes (e.g. one still holding an adapter
 *   name); `UNSUPPORTED_FEATURE` for trainable-token deltas
 * @example
 * ```ts
 * parseAdapterKey('model.layers.0.self_attn.q_proj.lora_A.weight');
 * // { kind: 'adapter', module: 'model.layers.0.self_attn.q_proj', param: 'lora_A', weightSuffix: true }
 * ```
 */
export function parseAdapterKey(key: string): ParsedKey {
  const segments = key.split('.');
  if (segments.includes('token_adapter') || segments.some((s) => s.startsWith('trainable_tokens_'))) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      `adapter tensor ${key} belongs to trainable tokens (trainable_token_indices), which peftjs does not support`,
    );
  }
  const m = TUNER_PARAM.exec(key);
  if (m !== null) {
    const module = m[1] as string;
    const name = m[2] as string;
    const suffix = m[3];
    if (suffix === '.bias') {
      if (name !== 'lora_B') throw badKey(key);
      return { kind: 'adapter', module, param: 'lora_B.bias', weightSuffix: false };
    }
    if (suffix === '.weight' && name !== 'lora_A' && name !== 'lora_B' && name !== 'lora_magnitude_vector') {
      throw badKey(key);
    }
    return { kind: 'adapter', module, param: name as AdapterParam, weightSuffix: suffix === '.weight' };
  }
  const baseLayer = segments.indexOf('base_layer');
  if (baseLayer > 0 && baseLayer < segments.length - 1) {
    const module = segments.slice(0, baseLayer).join('.');
    return { kind: 'base-layer', module, baseName: [module, ...segments.slice(baseLayer + 1)].join('.') };
  }
  if (segments.includes('modules_to_save') || segments.includes('original_module')) {
    return { kind: 'wrapper-internal' };
  }
  if (segments.some((s) => s.startsWith('lora_') || s.startsWith('ia3_'))) throw badKey(key);
  return { kind: 'base', baseName: key };
}

function badKey(key: string): AdapterError {
  return new AdapterError(
    'BAD_ADAPTER',
    `adapter tensor ${key} is not a key PEFT writes (expected …lora_A.weight, …lora_B.weight, …lora_B.bias, ` +
      '…lora_A / lora_B / lora_E (AdaLoRA), …lora_embedding_A/B, …lora_magnitude_vector or …ia3_l)',
  );
}

/**
 * Removes PEFT's `base_model.model.` prefix from a saved key, if it has it.
 *
 * @param key - a saved key
 * @returns the key in the task model's namespace
 */
export function stripPeftPrefix(key: string): string {
  return key.startsWith(PEFT_KEY_PREFIX) ? key.slice(PEFT_KEY_PREFIX.length) : key;
}
