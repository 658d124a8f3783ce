import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { AdapterError, wrapError } from '../errors.js';

/** One chat message (`{"role": "user", "content": "…"}`), as chat templates take them. */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

/** Options of {@link TextTokenizer.applyChatTemplate}. */
export interface ChatTemplateOptions {
  /** End with the start of an assistant turn. @defaultValue true */
  readonly addGenerationPrompt?: boolean;
  /** Extra variables the template reads (`tools`, `documents`, `enable_thinking`, …). */
  readonly variables?: Readonly<Record<string, unknown>>;
}

type Json = Readonly<Record<string, unknown>>;

/** A special token as `tokenizer_config.json` writes it: a string or an `AddedToken` object. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Json).content === 'string') {
    return (value as Json).content as string;
  }
  return undefined;
}

/**
 * The chat template a model ships: `chat_template.jinja` (transformers ≥ 4.43 saves it there), else
 * `tokenizer_config.json`'s `chat_template` (a string, or a list of named templates of which `default` is used).
 */
function pickTemplate(config: Json, file: string | undefined): string | undefined {
  if (file !== undefined) return file;
  const value = config.chat_template;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as readonly { name?: unknown; template?: unknown }[];
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    return typeof chosen?.template === 'string' ? chosen.template : undefined;
  }
  return undefined;
}

/**
 * A model's tokenizer (`tokenizer.json` + `tokenizer_config.json`, run by `@huggingface/tokenizers`) and its chat
 * template (run by `@huggingface/jinja`).
 *
 * @example
 * ```ts
 * const tokenizer = new TextTokenizer(JSON.parse(tokenizerJson), JSON.parse(tokenizerConfigJson));
 * const ids = tokenizer.encode('User: Hi\nAssistant:');
 * ```
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly template: Template | undefined;
  /** The chat template's source, when the model has one. */
  readonly chatTemplate: string | undefined;
  /** `tokenizer_config.json`. */
  readonly config: Json;

  /**
   * @param tokenizerJson - the parsed `tokenizer.json`
   * @param tokenizerConfig - the parsed `tokenizer_config.json` (`{}` when absent)
   * @param chatTemplate - the contents of `chat_template.jinja`, when the model has that file
   * @throws {AdapterError} `INVALID_FILE` when the tokenizer or the template cannot be built
   */
  constructor(tokenizerJson: unknown, tokenizerConfig: Json = {}, chatTemplate?: string) {
    this.config = tokenizerConfig;
    try {
      this.tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig);
    } catch (error) {
      throw wrapError(error, 'INVALID_FILE', 'tokenizer.json could not be loaded');
    }
    this.chatTemplate = pickTemplate(tokenizerConfig, chatTemplate);
    try {
      this.template = this.chatTemplate === undefined ? undefined : new Template(this.chatTemplate);
    } catch (error) {
      throw wrapError(error, 'INVALID_FILE', 'the chat template could not be parsed');
    }
  }

  /**
   * Token ids of a text.
   *
   * @param text - the text
   * @param addSpecialTokens - add the tokens the post-processor adds (BOS, …). @defaultValue true
   * @returns the ids
   */
  encode(text: string, addSpecialTokens = true): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  /**
   * The text of token ids.
   *
   * @param ids - token ids
   * @param skipSpecialTokens - leave out special tokens (EOS, padding, …). @defaultValue true
   * @returns the text
   */
  decode(ids: readonly number[], skipSpecialTokens = true): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens });
  }

  /** A special token's text from `tokenizer_config.json` (`'eos_token'`, `'bos_token'`, …). */
  specialToken(name: string): string | undefined {
    return tokenText(this.config[name]);
  }

  /**
   * Renders a conversation with the model's chat template, as transformers' `apply_chat_template(tokenize=False)`
   * does (special tokens of `tokenizer_config.json` available to the template as `bos_token`, `eos_token`, …).
   *
   * @param messages - the conversation
   * @param options - `addGenerationPrompt` (default true) and extra template variables
   * @returns the prompt text
   * @throws {AdapterError} `INVALID_ARGUMENT` when the model has no chat template or the template raises
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    if (this.template === undefined) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        'the tokenizer has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja)',
      );
    }
    const special: Record<string, string> = {};
    for (const name of ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'sep_token', 'cls_token']) {
      const text = this.specialToken(name);
      if (text !== undefined) special[name] = text;
    }
    try {
      return this.template.render({
        ...special,
        ...options.variables,
        messages: messages.map((m) => ({ ...m })),
        add_generation_prompt: options.addGenerationPrompt ?? true,
      });
    } catch (error) {
      throw wrapError(error, 'INVALID_ARGUMENT', 'the chat template failed to render the messages');
    }
  }

  /**
   * The prompt of a conversation: the chat template when the model has one, else plain `Role: content` lines
   * ending with `Assistant:` (the format of the embedded demo model).
   *
   * @param messages - the conversation
   * @param options - template options
   * @returns the prompt text and whether special tokens still need adding when encoding it (false for templates,
   *   which write them themselves)
   */
  chatPrompt(
    messages: readonly ChatMessage[],
    options: ChatTemplateOptions = {},
  ): { text: string; addSpecialTokens: boolean } {
    if (this.template !== undefined) {
      return { text: this.applyChatTemplate(messages, options), addSpecialTokens: false };
    }
    const lines = messages.map((m) => `${capitalize(m.role)}: ${m.content}`);
    if (options.addGenerationPrompt ?? true) lines.push('Assistant:');
    return { text: lines.join('\n'), addSpecialTokens: true };
  }
}

function capitalize(role: string): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}
