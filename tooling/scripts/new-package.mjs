#!/usr/bin/env node
// Creates a package with the monorepo's one shape: `node tooling/scripts/new-package.mjs <name> "<description>"`.
// Writes packages/<name>/{package.json,tsconfig.json,tsconfig.build.json,vitest.config.ts,README.md,src/index.ts}.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description = ''] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: new-package.mjs <kebab-name> "<description>"');
  process.exit(1);
}
const dir = join('packages', name);
if (existsSync(dir)) {
  console.error(`error: ${dir} already exists`);
  process.exit(1);
}
mkdirSync(join(dir, 'src'), { recursive: true });
const json = (v) => `${JSON.stringify(v, null, 2)}\n`;
const entry = (sub) => ({
  '@peftjs/source': `./src/${sub}.ts`,
  types: `./dist/${sub}.d.ts`,
  default: `./dist/${sub}.js`,
});
const published = (sub) => ({ types: `./dist/${sub}.d.ts`, default: `./dist/${sub}.js` });
writeFileSync(
  join(dir, 'package.json'),
  json({
    name: `@peftjs/${name}`,
    version: '0.0.0',
    description,
    license: 'Apache-2.0',
    type: 'module',
    sideEffects: false,
    engines: { node: '>=20.19' },
    exports: { '.': entry('index'), './package.json': './package.json' },
    publishConfig: {
      access: 'public',
      exports: { '.': published('index'), './package.json': './package.json' },
    },
    files: ['dist', '!dist/**/*.test.*', 'README.md'],
    devDependencies: { '@types/node': 'catalog:', typescript: 'catalog:', vitest: 'catalog:' },
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc --noEmit -p tsconfig.json',
      test: 'vitest run',
    },
  }),
);
writeFileSync(
  join(dir, 'tsconfig.json'),
  json({
    extends: '../../tsconfig.base.json',
    compilerOptions: { noEmit: true },
    include: ['src', 'test', 'bench'],
  }),
);
writeFileSync(
  join(dir, 'tsconfig.build.json'),
  json({
    extends: '../../tsconfig.base.json',
    compilerOptions: { rootDir: 'src', outDir: 'dist', customConditions: [], noEmit: false },
    include: ['src'],
    exclude: ['src/**/*.test.ts', 'src/**/*.test.*.ts', 'src/**/*.bench.ts'],
  }),
);
writeFileSync(join(dir, 'vitest.config.ts'), "export { default } from '../../vitest.shared.js';\n");
writeFileSync(join(dir, 'src', 'index.ts'), `/** @packageDocumentation ${description} */\nexport {};\n`);
writeFileSync(join(dir, 'README.md'), `# @peftjs/${name}\n\n${description}\n`);
console.log(`created ${dir}`);
