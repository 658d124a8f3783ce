import type { AdapterConfig } from '@peftjs/config';
import { AdapterError } from './errors.js';

/** LoRA config fields whose non-empty value changes what the adapter computes in ways peftjs does not implement. */
const UNSUPPORTED_LORA_FIELDS: readonly (readonly [string, string])[] = [
  ['layer_replication', 'layer replication (it changes the base model structure)'],
  ['target_parameters', 'LoRA on nn.Parameter (target_parameters)'],
  ['trainable_token_indices', 'trainable tokens (trainable_token_indices)'],
  ['alora_invocation_tokens', 'activated LoRA (alora_invocation_tokens)'],
  ['velora_config', 'VeLoRA (velora_config)'],
  ['monteclora_config', 'MonteCLoRA (monteclora_config)'],
  ['kasa_config', 'KaSA (kasa_config)'],
  ['use_bdlora', 'block-diagonal LoRA (use_bdlora)'],
  ['arrow_config', 'Arrow routing (arrow_config)'],
];

/**
 * Throws when a config asks for a PEFT feature peftjs cannot apply faithfully.
 *
 * @param config - a parsed config
 * @throws {AdapterError} `UNSUPPORTED_FEATURE` naming the field
 * @internal
 */
export function checkSupported(config: AdapterConfig): void {
  if (config.peft_type === 'IA3') return;
  for (const [field, what] of UNSUPPORTED_LORA_FIELDS) {
    const value = (config as unknown as Record<string, unknown>)[field];
    if (isSet(value)) {
      throw new AdapterError(
        'UNSUPPORTED_FEATURE',
        `the adapter uses ${what}, which peftjs does not support; ${field} is ${JSON.stringify(value)}`,
      );
    }
  }
  if (config.use_qalora) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      'the adapter uses QALoRA (use_qalora: true), which peftjs does not support',
    );
  }
}

function isSet(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}
