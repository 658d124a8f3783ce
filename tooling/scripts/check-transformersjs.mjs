#!/usr/bin/env node
// Checks that a model merged by `peftjs merge --onnx` loads in transformers.js and generates what PyTorch + PEFT
// generate. transformers.js is not a dependency of this repo; install it in a scratch folder first:
//
//   mkdir -p /tmp/tjs && cd /tmp/tjs && echo '{"type":"module"}' > package.json
//   ONNXRUNTIME_NODE_INSTALL=skip npm install --ignore-scripts @huggingface/transformers
//   cd - && mkdir -p /tmp/tjs/zh/onnx && cp examples/tiny-chat/tiny-chat-en/*.json /tmp/tjs/zh/
//   pnpm -s peftjs merge --onnx examples/tiny-chat/tiny-chat-en/onnx/model.onnx \
//     --adapter examples/tiny-chat/tiny-chat-zh-lora --base examples/tiny-chat/tiny-chat-en --out /tmp/tjs/zh/onnx/model.onnx
//   cp tooling/scripts/check-transformersjs.mjs /tmp/tjs/ && node /tmp/tjs/check-transformersjs.mjs /tmp/tjs zh
//
// Exits 1 unless every greedy sequence equals examples/tiny-chat/expected.json's `adapter_ids`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';

const [root = '/tmp/tjs', name = 'zh', expectedPath] = process.argv.slice(2);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const expected = JSON.parse(
  readFileSync(
    expectedPath ?? join(process.env.PEFTJS_REPO ?? repo, 'examples/tiny-chat/expected.json'),
    'utf8',
  ),
);
env.allowRemoteModels = false;
env.localModelPath = root;
const tokenizer = await AutoTokenizer.from_pretrained(name);
const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
let same = 0;
for (const q of expected.greedy) {
  const inputs = tokenizer(expected.prompt_template.replace('{question}', q.question));
  const out = await model.generate({ ...inputs, max_new_tokens: expected.max_new_tokens, do_sample: false });
  const ids = Array.from(out.tolist()[0], Number);
  const ok = JSON.stringify(ids) === JSON.stringify(q.adapter_ids);
  same += ok ? 1 : 0;
  const text = tokenizer.decode(ids.slice(inputs.input_ids.dims[1]), { skip_special_tokens: true });
  console.log(`${ok ? 'same' : 'DIFF'}  ${q.question} →${text}`);
}
console.log(`${same}/${expected.greedy.length} greedy sequences equal PyTorch + PEFT's`);
process.exit(same === expected.greedy.length ? 0 : 1);
