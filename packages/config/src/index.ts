/** @packageDocumentation PEFT adapter_config.json for LoRA, IA3 and AdaLoRA. */

/** The file name PEFT writes an adapter's configuration to. */
export const CONFIG_NAME = 'adapter_config.json';
