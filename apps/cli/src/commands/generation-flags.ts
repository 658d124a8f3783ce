import { type CausalLM, type GenerationOptions, loadCausalLM, type SessionMode } from '@peftjs/runtime-node';
import { existingDirectory, optionalInteger, optionalNumber } from '../args.js';
import { UsageError } from '../io.js';
import { adapterList, modeFlag } from './adapter-flags.js';

/** Flags `generate` and `chat` share (node:util parseArgs options). */
export const generationFlags = {
  model: { type: 'string' },
  adapter: { type: 'string', multiple: true },
  'set-adapter': { type: 'string' },
  'disable-adapters': { type: 'boolean' },
  mode: { type: 'string' },
  'onnx-file': { type: 'string' },
  'max-new-tokens': { type: 'string' },
  'min-new-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  'min-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  seed: { type: 'string' },
  stop: { type: 'string', multiple: true },
  greedy: { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  threads: { type: 'string' },
} as const;

/** Usage lines of {@link generationFlags}. */
export const generationUsage = `  --model <dir>              a model folder in transformers.js' layout: config.json, tokenizer.json,
                             tokenizer_config.json, generation_config.json, onnx/model.onnx
  --adapter [name=]<dir>     a PEFT adapter folder (name it when loading several); the first is active
  --set-adapter <names>      the active adapter(s), comma-separated (several are summed, as PEFT does)
  --disable-adapters         run the base model
  --mode merged|dynamic      merged: adapters baked into the weights; dynamic: switched per run
  --onnx-file <name>         the graph in <model>/onnx/ (default model.onnx)
  --max-new-tokens <n>       tokens to generate at most (default: generation_config.json, else 20)
  --min-new-tokens <n>       tokens to generate before EOS may end the answer
  --temperature <t>          sample with this temperature (0: greedy); any sampling flag turns sampling on
  --top-p <p>, --top-k <k>   nucleus and top-k sampling (transformers' defaults: 1 and 50)
  --min-p <p>                min-p sampling
  --seed <n>                 seed of the sampler (same seed, same answer)
  --repetition-penalty <r>   transformers' repetition penalty (> 1 discourages repeats)
  --stop <text>              end the answer at this text (repeatable; the text is left out)
  --greedy                   pick the most likely token (the default unless generation_config.json samples)
  --no-cache                 run the whole sequence each step instead of feeding the KV cache back
  --threads <n>              onnxruntime threads per operator (default: one per core)`;

type Values = Record<string, unknown>;

/**
 * Generation settings from the flags. Any of --temperature (> 0), --top-p, --top-k, --min-p and --seed turns
 * sampling on, as OpenAI-style servers do; --temperature 0 and --greedy pick the most likely token.
 *
 * @param values - parsed flags
 * @returns the options for `generate` / `stream`
 * @throws {UsageError} for malformed numbers
 */
export function generationOptions(values: Values): GenerationOptions {
  const maxNewTokens = optionalInteger(values, 'max-new-tokens', 0);
  const minNewTokens = optionalInteger(values, 'min-new-tokens', 0);
  const temperature = optionalNumber(values, 'temperature');
  const topP = optionalNumber(values, 'top-p');
  const topK = optionalInteger(values, 'top-k', 0);
  const minP = optionalNumber(values, 'min-p');
  const seed = optionalInteger(values, 'seed', 0);
  const repetitionPenalty = optionalNumber(values, 'repetition-penalty');
  const stop = (values.stop as string[] | undefined) ?? [];
  const sampling = [temperature, topP, topK, minP, seed].some((v) => v !== undefined) && temperature !== 0;
  if (values.greedy === true && sampling) {
    throw new UsageError(
      '--greedy cannot be combined with --temperature, --top-p, --top-k, --min-p or --seed',
    );
  }
  return {
    ...(maxNewTokens === undefined ? {} : { maxNewTokens }),
    ...(minNewTokens === undefined ? {} : { minNewTokens }),
    ...(sampling
      ? { doSample: true }
      : temperature === 0 || values.greedy === true
        ? { doSample: false }
        : {}),
    ...(temperature === undefined || temperature === 0 ? {} : { temperature }),
    ...(topP === undefined ? {} : { topP }),
    ...(topK === undefined ? {} : { topK }),
    ...(minP === undefined ? {} : { minP }),
    ...(seed === undefined ? {} : { seed }),
    ...(repetitionPenalty === undefined ? {} : { repetitionPenalty }),
    ...(stop.length === 0 ? {} : { stop }),
    ...(values['no-cache'] === true ? { useCache: false } : {}),
  };
}

/** A model opened from the flags, and the adapters it loaded. */
export interface OpenedModel {
  readonly lm: CausalLM;
  readonly mode: SessionMode;
  readonly adapters: readonly { name: string; dir: string }[];
}

/**
 * Opens --model with its --adapter folders, then applies --set-adapter / --disable-adapters.
 *
 * @param values - parsed flags
 * @param defaultMode - the mode when --mode is absent
 * @returns the model (close it when done)
 * @throws {UsageError} for missing folders and flag conflicts
 */
export async function openModel(values: Values, defaultMode: SessionMode): Promise<OpenedModel> {
  if (typeof values.model !== 'string' || values.model === '') throw new UsageError('--model is required');
  const dir = existingDirectory(values.model, '--model folder');
  const adapters = adapterList((values.adapter as string[] | undefined) ?? []);
  const mode = modeFlag(values.mode, defaultMode);
  const threads = optionalInteger(values, 'threads', 1);
  const active = values['set-adapter'] === undefined ? undefined : String(values['set-adapter']).split(',');
  const disable = values['disable-adapters'] === true;
  if ((active !== undefined || disable) && adapters.length === 0) {
    throw new UsageError(`--${disable ? 'disable-adapters' : 'set-adapter'} needs at least one --adapter`);
  }
  const lm = await loadCausalLM(dir, {
    mode,
    adapters: Object.fromEntries(adapters.map((a) => [a.name, a.dir])),
    ...(typeof values['onnx-file'] === 'string' ? { modelFile: values['onnx-file'] } : {}),
    ...(threads === undefined ? {} : { threads }),
  });
  try {
    if (active !== undefined) lm.session.setAdapter(active.length === 1 ? (active[0] as string) : active);
    if (disable) lm.session.disableAdapters();
  } catch (error) {
    await lm.close();
    throw error;
  }
  return { lm, mode, adapters };
}

/** What is active, for messages: `zh`, `a + b`, `adapters disabled`, `no adapter`. */
export function activeLabel(lm: CausalLM): string {
  const { session } = lm;
  if (session.adapterNames.length === 0) return 'no adapter';
  if (!session.adaptersEnabled) return 'adapters disabled';
  return session.activeAdapters().join(' + ');
}
