import { createInterface } from 'node:readline';
import type { CausalLM, ChatMessage, GenerationOptions } from '@peftjs/runtime-node';
import { parseFlags } from '../args.js';
import { type CliIo, type Command, UsageError } from '../io.js';
import { adapterFlag } from './adapter-flags.js';
import {
  activeLabel,
  generationFlags,
  generationOptions,
  generationUsage,
  openModel,
} from './generation-flags.js';

const usage = `usage: peftjs chat --model <dir> [--adapter [name=]<dir>]... [--system <text>] [--mode dynamic|merged]
                   [sampling options below]

An interactive chat in the terminal. Type a message and press Enter; the answer streams back, labelled with the
adapters that wrote it. The conversation is rendered with the model's chat template ("Role: content" lines when
it has none); the oldest turns are dropped when it outgrows the model's positions. Commands:

  /adapters                  list the loaded adapters (* = active)
  /use <name>[,<name>...]    make these adapters active (several are summed, as PEFT's set_adapter([...]))
  /disable, /enable          answer with the base model / with the adapters again
  /load <name>=<dir>         load an adapter folder (it becomes active)
  /delete <name>             unload an adapter
  /reset                     forget the conversation
  /help                      this list
  /exit                      leave (or Ctrl-D)

  --system <text>            a system message that starts the conversation
  --no-history               answer each message on its own (for models trained on single turns, like the
                             embedded demo model)
${generationUsage}`;

const COMMANDS_HELP = usage.slice(usage.indexOf('  /adapters'), usage.indexOf('\n\n  --system'));

/** One chat: the model, the conversation so far, and the settings of each answer. */
class ChatState {
  messages: ChatMessage[] = [];
  /** Where each adapter was loaded from. */
  readonly dirs = new Map<string, string>();
  constructor(
    readonly lm: CausalLM,
    readonly options: GenerationOptions,
    readonly system: string | undefined,
    readonly history: boolean,
    readonly out: CliIo['stdout'],
  ) {
    this.reset();
  }

  reset(): void {
    this.messages = this.system === undefined ? [] : [{ role: 'system', content: this.system }];
  }

  print(line: string): void {
    this.out.write(`${line}\n`);
  }

  /** Drops the oldest user/assistant turn while the prompt (and room to answer) exceeds the model's positions. */
  fit(): number[] {
    const max = this.lm.config.maxPositions;
    const room = Math.min(this.options.maxNewTokens ?? 20, 64);
    for (;;) {
      const ids = this.lm.encodePrompt({ messages: this.messages });
      const first = this.messages.findIndex((m) => m.role !== 'system');
      if (max === undefined || ids.length + room <= max || first < 0 || first >= this.messages.length - 1) {
        return ids;
      }
      this.messages.splice(first, this.messages[first + 1]?.role === 'assistant' ? 2 : 1);
    }
  }

  async answer(text: string): Promise<void> {
    if (!this.history) this.reset();
    this.messages.push({ role: 'user', content: text });
    const ids = this.fit();
    this.out.write(`${this.label()}> `);
    let reply = '';
    // without a chat template the turns are "User: …" lines: the next one ends the answer
    const plain = this.lm.tokenizer.chatTemplate === undefined;
    const options = plain
      ? { ...this.options, stop: [...(this.options.stop ?? []), '\nUser:'] }
      : this.options;
    for await (const chunk of this.lm.stream({ ids }, options)) {
      const piece = reply === '' ? chunk.text.trimStart() : chunk.text;
      reply += piece;
      this.out.write(piece);
    }
    this.out.write('\n');
    this.messages.push({ role: 'assistant', content: reply.trim() });
  }

  /** Who answers: the active adapters, or `base`. */
  label(): string {
    const { session } = this.lm;
    return session.adapterNames.length === 0 || !session.adaptersEnabled
      ? 'base'
      : session.activeAdapters().join('+');
  }

  /** Runs a /command; returns false for /exit. */
  async command(line: string): Promise<boolean> {
    const [name = '', ...rest] = line.slice(1).trim().split(/\s+/);
    const arg = rest.join(' ');
    const { session } = this.lm;
    switch (name) {
      case 'exit':
      case 'quit':
        return false;
      case 'help':
        this.print(COMMANDS_HELP);
        break;
      case 'adapters': {
        if (session.adapterNames.length === 0) {
          this.print('no adapters loaded (/load <name>=<dir>)');
          break;
        }
        const active = session.adaptersEnabled ? session.activeAdapters() : [];
        for (const n of session.adapterNames) {
          const a = session.getAdapter(n);
          const where = this.dirs.get(n) ?? '';
          this.print(
            `${active.includes(n) ? '*' : ' '} ${n}  ${a.peftType}, ${a.layers.length} modules  ${where}`,
          );
        }
        if (!session.adaptersEnabled) this.print('(adapters disabled: /enable)');
        break;
      }
      case 'use':
        session.setAdapter(arg.includes(',') ? arg.split(',') : arg);
        session.enableAdapters();
        this.print(`active: ${activeLabel(this.lm)}`);
        break;
      case 'disable':
        session.disableAdapters();
        this.print('adapters disabled: answering with the base model');
        break;
      case 'enable':
        session.enableAdapters();
        this.print(`active: ${activeLabel(this.lm)}`);
        break;
      case 'load': {
        const { name: adapterName, dir } = adapterFlag(arg);
        if (dir === '') throw new UsageError('usage: /load <name>=<dir>');
        const started = performance.now();
        await session.loadAdapter(dir, adapterName ?? 'default');
        this.dirs.set(adapterName ?? 'default', dir);
        session.enableAdapters();
        this.print(
          `loaded ${adapterName ?? 'default'} in ${Math.round(performance.now() - started)} ms; active: ${activeLabel(this.lm)}`,
        );
        break;
      }
      case 'delete':
        await session.deleteAdapter(arg);
        this.dirs.delete(arg);
        this.print(`deleted ${arg}; active: ${activeLabel(this.lm)}`);
        break;
      case 'reset':
        this.reset();
        this.print('conversation cleared');
        break;
      default:
        this.print(`unknown command /${name}; /help lists them`);
    }
    return true;
  }
}

/** `peftjs chat`: an interactive conversation with adapters switched mid-conversation. */
export const chat: Command = {
  name: 'chat',
  summary: 'chat in the terminal; list, switch, disable and load adapters mid-conversation',
  usage,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      { ...generationFlags, system: { type: 'string' }, 'no-history': { type: 'boolean' } },
      usage,
    );
    if (io.stdin === undefined) throw new UsageError('chat needs an input stream');
    const options = generationOptions(values);
    const { lm, mode, adapters } = await openModel(values, 'dynamic');
    const system = values.system as string | undefined;
    const state = new ChatState(lm, options, system, values['no-history'] !== true, io.stdout);
    for (const a of adapters) state.dirs.set(a.name, a.dir);
    const rl = createInterface({ input: io.stdin, terminal: false });
    const prompt = () => io.stdout.write('you> ');
    try {
      state.print(
        `peftjs chat — ${String(values.model)} (${mode} mode, ${lm.hasCache ? 'KV cache' : 'no cache'}), active: ${activeLabel(lm)}. /help for commands, /exit to leave.`,
      );
      prompt();
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === '') {
          prompt();
          continue;
        }
        try {
          if (line.startsWith('/')) {
            if (!(await state.command(line))) break;
          } else {
            await state.answer(line);
          }
        } catch (error) {
          state.print(`error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        }
        prompt();
      }
      io.stdout.write('\n');
    } finally {
      rl.close();
      await lm.close();
    }
    return 0;
  },
};
