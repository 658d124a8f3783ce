#!/usr/bin/env node
// Compiles the AssemblyScript kernels (assembly/*.ts) to WebAssembly and writes the module, base64-encoded, into
// src/wasm/kernels-wasm.generated.ts, so that neither tests nor consumers need a build step.
//   pnpm --filter @peftjs/kernels build:wasm          write the generated module
//   node scripts/build-wasm.mjs --check               exit 1 if the committed module differs from a fresh compile
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'src/wasm/kernels-wasm.generated.ts');
const FLAGS = ['--runtime', 'stub', '--enable', 'simd', '-O3', '--noAssert'];

async function compile() {
  let wasm;
  const errors = [];
  const { error } = await asc.main(['assembly/index.ts', '--outFile', 'kernels.wasm', ...FLAGS], {
    readFile: (name, baseDir) => {
      try {
        return readFileSync(join(root, baseDir, name), 'utf8');
      } catch {
        return null;
      }
    },
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm')) wasm = contents;
    },
    listFiles: () => [],
    stdout: { write: () => true },
    stderr: {
      write: (text) => {
        errors.push(String(text));
        return true;
      },
    },
  });
  if (error || wasm === undefined) {
    throw new Error(`asc failed: ${error?.message ?? 'no output'}\n${errors.join('')}`);
  }
  return Buffer.from(wasm);
}

function render(bytes) {
  const version = JSON.parse(
    readFileSync(join(root, 'node_modules/assemblyscript/package.json'), 'utf8'),
  ).version;
  return `// GENERATED FILE - do not edit. Made by \`pnpm --filter @peftjs/kernels build:wasm\` (scripts/build-wasm.mjs):
// AssemblyScript ${version} compiles assembly/*.ts (asc ${FLAGS.join(' ')}) and the .wasm is written here as
// base64. src/wasm/kernels-wasm-stale.test.ts fails when this file differs from a fresh compile.

/** The kernels' WebAssembly SIMD module (${bytes.length} bytes), base64-encoded. */
export const KERNELS_WASM_BASE64: string =
  '${bytes.toString('base64')}';
`;
}

const bytes = await compile();
if (process.argv.includes('--check')) {
  const committed = /'([A-Za-z0-9+/=]+)'/.exec(readFileSync(target, 'utf8'))?.[1];
  if (committed !== bytes.toString('base64')) {
    console.error(`${target} is stale: run \`pnpm --filter @peftjs/kernels build:wasm\` and commit it`);
    process.exit(1);
  }
  console.log(`${target} is up to date (${bytes.length} bytes)`);
} else {
  writeFileSync(`${target}.tmp`, render(bytes));
  renameSync(`${target}.tmp`, target);
  console.log(`wrote ${target} (${bytes.length} bytes of WebAssembly)`);
}
