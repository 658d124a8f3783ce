import type { Command } from '../io.js';

/** Every command of the CLI, in the order `peftjs --help` lists them. */
export const commands: readonly Command[] = [];
