/** The file name PEFT writes an adapter's configuration to. */
export const CONFIG_NAME = 'adapter_config.json';

/** The PEFT version whose behaviour and files this package reproduces; written as `peft_version`. */
export const PEFT_VERSION = '0.21.0';

/** PEFT's `TaskType` values (unchanged since PEFT 0.6). */
export const TASK_TYPES = [
  'SEQ_CLS',
  'SEQ_2_SEQ_LM',
  'CAUSAL_LM',
  'TOKEN_CLS',
  'QUESTION_ANS',
  'FEATURE_EXTRACTION',
] as const;

/** A PEFT task type. */
export type TaskType = (typeof TASK_TYPES)[number];

/** The PEFT types peftjs supports. */
export const SUPPORTED_PEFT_TYPES = ['LORA', 'IA3', 'ADALORA'] as const;

/** A PEFT type peftjs supports. */
export type SupportedPeftType = (typeof SUPPORTED_PEFT_TYPES)[number];

/**
 * Every `PeftType` value PEFT has had (0.6 up to 0.21 and its main branch, plus `BONE`, removed in 0.19), so a
 * config of another method is recognised and refused as unsupported rather than as unknown.
 */
export const KNOWN_PEFT_TYPES: readonly string[] = [
  'PROMPT_TUNING',
  'MULTITASK_PROMPT_TUNING',
  'P_TUNING',
  'PREFIX_TUNING',
  'LORA',
  'ADALORA',
  'ADAMSS',
  'BOFT',
  'ADAPTION_PROMPT',
  'IA3',
  'BEFT',
  'LILY',
  'LOHA',
  'LOKR',
  'OFT',
  'POLY',
  'LN_TUNING',
  'VERA',
  'FROD',
  'PVERA',
  'FOURIERFT',
  'GLORA',
  'XLORA',
  'HRA',
  'VBLORA',
  'UNILORA',
  'CPT',
  'MISS',
  'RANDLORA',
  'ROAD',
  'TRAINABLE_TOKENS',
  'HIRA',
  'SHIRA',
  'C3A',
  'WAVEFT',
  'OSF',
  'DELORA',
  'GRALORA',
  'CARTRIDGE',
  'TINYLORA',
  'PSOFT',
  'PEANUT',
  'SUPERTUNING',
  'DEFT',
  'BONE',
];

/**
 * Whether a string is one of PEFT's task types.
 *
 * @param value - anything
 * @returns true for `SEQ_CLS`, `CAUSAL_LM`, …
 */
export function isTaskType(value: unknown): value is TaskType {
  return typeof value === 'string' && (TASK_TYPES as readonly string[]).includes(value);
}

/**
 * Whether a string is a PEFT type peftjs supports (`LORA`, `IA3`, `ADALORA`).
 *
 * @param value - anything
 * @returns true for a supported type
 */
export function isSupportedPeftType(value: unknown): value is SupportedPeftType {
  return typeof value === 'string' && (SUPPORTED_PEFT_TYPES as readonly string[]).includes(value);
}
