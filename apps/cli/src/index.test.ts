import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.test-helper.js';

describe('peftjs', () => {
  it('lists its commands', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('usage: peftjs <command>');
  });
  it('rejects an unknown command with one line and exit code 2', async () => {
    const { code, stderr } = await runCli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toBe("error: unknown command 'frobnicate'; run 'peftjs --help' for the list\n");
  });
});
