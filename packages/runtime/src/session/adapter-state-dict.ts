import type { Adapter } from '../adapter.js';
import { PEFT_KEY_PREFIX } from '../adapter-keys.js';
import type { AdapterTensor } from '../adapter-tensor.js';

/**
 * An adapter's state dict as transformers' `get_adapter_state_dict()` returns it: the keys PEFT saved, without
 * `base_model.model.` (`model.decoder.layers.0.self_attn.q_proj.lora_A.weight`, `classifier.weight`), each with its
 * tensor as saved (lazy; `float32()` reads it).
 *
 * @param adapter - the adapter
 * @returns key → tensor, in file order
 * @internal
 */
export function adapterStateDict(adapter: Adapter): Map<string, AdapterTensor> {
  const out = new Map<string, AdapterTensor>();
  for (const [key, tensor] of adapter.tensors) {
    out.set(key.startsWith(PEFT_KEY_PREFIX) ? key.slice(PEFT_KEY_PREFIX.length) : key, tensor);
  }
  return out;
}
