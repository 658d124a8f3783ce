// `pnpm peftjs …` from the repo root: runs the CLI from its TypeScript sources (no build needed).
import { main } from './index.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
