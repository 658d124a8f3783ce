// `pnpm demo`: the tiny English chat model answers without and with its Chinese LoRA, side by side.
// Options: --mode merged|dynamic, --question "…" (repeatable), --threads N.
import { parseArgs } from 'node:util';
import { runDemo } from './run-demo.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'dynamic' },
    question: { type: 'string', multiple: true },
    threads: { type: 'string' },
  },
});
if (values.mode !== 'merged' && values.mode !== 'dynamic') {
  console.error(`--mode must be merged or dynamic, got ${JSON.stringify(values.mode)}`);
  process.exit(2);
}
const report = await runDemo(
  {
    mode: values.mode,
    columns: process.stdout.columns ?? 100,
    ...(values.question === undefined ? {} : { questions: values.question }),
    ...(values.threads === undefined ? {} : { threads: Number(values.threads) }),
  },
  (line) => console.log(line),
);
process.exitCode = report.matches.equal === report.matches.checked ? 0 : 1;
