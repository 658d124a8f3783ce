#!/usr/bin/env node
// The installed `peftjs` binary: runs the built CLI. Inside the repo, `pnpm peftjs …` runs the sources instead.
import { main } from '../dist/index.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
