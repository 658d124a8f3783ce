// PEFT-style LoRA adapters for the generated decoder, built in memory (A and B both non-zero).
import { createLoraConfig } from '@peftjs/config';
import { Adapter } from '../../src/index.js';
import { type DecoderShape, layerProjections, seededFill } from './build-decoder.js';

/** The saved tensors of a LoRA adapter: `base_model.model.<module>.lora_{A,B}.weight`. */
export type LoraTensors = Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>;

/**
 * Builds the tensors of a rank-`r` LoRA on all seven projections of every layer (A: std 0.02, B: std 0.01).
 *
 * @param shape - the decoder's sizes
 * @param r - rank
 * @param seed - PRNG seed
 * @returns tensors by saved key
 */
export function loraTensors(shape: DecoderShape, r: number, seed: number): LoraTensors {
  const fill = seededFill(seed);
  const tensors: LoraTensors = {};
  for (let i = 0; i < shape.layers; i++) {
    for (const { suffix, inF, outF } of layerProjections(shape)) {
      const key = `base_model.model.model.layers.${i}.${suffix}`;
      tensors[`${key}.lora_A.weight`] = { dtype: 'F32', shape: [r, inF], data: fill(r * inF, 0.02) };
      tensors[`${key}.lora_B.weight`] = { dtype: 'F32', shape: [outF, r], data: fill(outF * r, 0.01) };
    }
  }
  return tensors;
}

/**
 * `Adapter.create` of a rank-`r` LoRA (lora_alpha = 2r) over prebuilt tensors.
 *
 * @param r - rank
 * @param tensors - from {@link loraTensors}
 * @returns the adapter
 */
export function createLora(r: number, tensors: LoraTensors): Adapter {
  const config = createLoraConfig({
    r,
    lora_alpha: 2 * r,
    task_type: 'CAUSAL_LM',
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  });
  return Adapter.create({ config, tensors });
}
