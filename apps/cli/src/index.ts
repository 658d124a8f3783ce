/** @packageDocumentation The `peftjs` command line. */
import { commands } from './commands/index.js';
import { type CliIo, UsageError } from './io.js';

export type { CliIo, Command } from './io.js';
export { UsageError } from './io.js';

/** Text of `peftjs --help`. */
export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'peftjs — PEFT adapters (LoRA, IA3, AdaLoRA) for JavaScript',
    '',
    'usage: peftjs <command> [options]     (peftjs <command> --help for its options)',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit code: 0 on success, 1 when the
 * work failed, 2 for a usage error. Errors print one line, `error: <message>`, to stderr.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${helpText()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`error: unknown command '${name}'; run 'peftjs --help' for the list\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${message.split('\n')[0]}\n`);
    if (io.env.PEFTJS_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
