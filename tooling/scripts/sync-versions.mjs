#!/usr/bin/env node
// After `changeset version`: copies each package's new version into the constants that name it at run time
// (`@peftjs/model-card` writes "peftjs <version>" into cards without reading package.json, so it runs in browsers).
import { readFileSync, writeFileSync } from 'node:fs';

const targets = [['packages/model-card/package.json', 'packages/model-card/src/version.ts']];
for (const [manifest, source] of targets) {
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  const text = readFileSync(source, 'utf8');
  const next = text.replace(/PACKAGE_VERSION = '[^']*'/, `PACKAGE_VERSION = '${version}'`);
  if (next !== text) {
    writeFileSync(source, next);
    console.log(`${source}: PACKAGE_VERSION = '${version}'`);
  }
}
