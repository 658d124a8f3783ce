import type { Command } from '../io.js';
import { card } from './card.js';
import { chat } from './chat.js';
import { combine } from './combine.js';
import { forward } from './forward.js';
import { generate } from './generate.js';
import { inspect } from './inspect.js';
import { merge } from './merge.js';

/** Every command of the CLI, in the order `peftjs --help` lists them. */
export const commands: readonly Command[] = [inspect, merge, combine, card, forward, generate, chat];
