#!/usr/bin/env node
// `pnpm demo` until the text-generation issue lands: says what the demo will be, and exits 0.
console.log(
  'peftjs demo: not built yet. The demo (the tiny English chat model answering without and with its Chinese\n' +
    'LoRA, side by side) arrives with text generation; see the issue on generation and the embedded demo.',
);
