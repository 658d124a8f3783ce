import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FRAMEWORK } from '@peftjs/model-card';
import { fixturePath } from '@peftjs/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.test-helper.js';

const scratch = mkdtempSync(join(tmpdir(), 'peftjs-cli-card-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const read = (path: string) => readFileSync(path, 'utf8');
/** PEFT's README with peftjs's framework line in place of PEFT's last line. */
const ours = (peftReadme: string) => peftReadme.replace(/\n- PEFT 0\.21\.0$/, `\n- ${DEFAULT_FRAMEWORK}`);

/** A temp copy of an adapter folder's config (and README when given): the CLI never touches fixtures. */
function copyAdapter(fromDir: string, readme?: string): string {
  const dir = mkdtempSync(join(scratch, 'adapter-'));
  copyFileSync(join(fromDir, 'adapter_config.json'), join(dir, 'adapter_config.json'));
  if (readme !== undefined) writeFileSync(join(dir, 'README.md'), readme);
  return dir;
}

const golden = readdirSync(fixturePath('golden', 'cases'))
  .map((name) => fixturePath('golden', 'cases', name, 'adapter'))
  .filter((dir) => existsSync(join(dir, 'README.md')));
const cardRoot = fixturePath('generated', 'card');
// The config alone describes a transformers base without extra model tags; the other fresh cases need options
// the CLI cannot know (a plain torch module, TRL's model tags), and @peftjs/model-card tests them.
const fresh = readdirSync(join(cardRoot, 'fresh'))
  .map((name) => join(cardRoot, 'fresh', name))
  .filter((dir) => {
    const c = JSON.parse(read(join(dir, 'case.json')));
    return c.transformers === true && c.model_tags.length === 0;
  });

describe('peftjs card', () => {
  it('finds the golden and generated cards it reproduces', () => {
    expect(golden.length).toBe(6);
    expect(fresh.length).toBe(readdirSync(join(cardRoot, 'fresh')).length - 3);
  });

  it.each([...golden, ...fresh].map((dir) => [dir.slice(fixturePath().length + 1), dir] as const))(
    '%s: prints the README PEFT wrote, naming peftjs in the framework line',
    async (_id, dir) => {
      const { code, stdout, stderr } = await runCli(['card', copyAdapter(dir)]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe(ours(read(join(dir, 'README.md'))));
    },
  );

  it('takes the base model from --base-model', async () => {
    const dir = copyAdapter(fixturePath('golden', 'cases', 'opt-lora-basic', 'adapter'));
    const { code, stdout } = await runCli(['card', dir, '--base-model', 'facebook/opt-125m']);
    expect(code).toBe(0);
    expect(stdout).toBe(ours(read(join(cardRoot, 'fresh', 'opt-125m-causal-lora', 'README.md'))));
  });

  it('--write creates README.md, and saving again changes nothing', async () => {
    const source = join(cardRoot, 'fresh', 'bert-qa-lora');
    const dir = copyAdapter(source);
    const first = await runCli(['card', dir, '--write']);
    expect(first).toEqual({ code: 0, stdout: `created ${join(dir, 'README.md')}\n`, stderr: '' });
    expect(read(join(dir, 'README.md'))).toBe(ours(read(join(source, 'README.md'))));
    const again = await runCli(['card', dir, '--write']);
    expect(again.stdout).toBe(`updated ${join(dir, 'README.md')}\n`);
    expect(read(join(dir, 'README.md'))).toBe(ours(read(join(source, 'README.md'))));
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'adapter_config.json']);
  });

  it.each([
    'person-card',
    'person-card-crlf',
    'no-front-matter',
    'model-index',
    'framework-versions-present',
  ])('--write updates the README a person wrote as PEFT does (%s)', async (name) => {
    const source = join(cardRoot, 'update', name);
    const dir = copyAdapter(source, read(join(source, 'before.md')));
    const { code } = await runCli(['card', dir, '--write']);
    expect(code).toBe(0);
    // The config records the base model PEFT saw, which the CLI takes from it.
    expect(read(join(source, 'adapter_config.json'))).toContain(
      '"base_model_name_or_path": "facebook/opt-125m"',
    );
    expect(read(join(dir, 'README.md'))).toBe(
      read(join(source, 'README.md')).replace('\n- PEFT 0.21.0', `\n- ${DEFAULT_FRAMEWORK}`),
    );
  });

  it('prints the update of an existing README without writing it', async () => {
    const source = join(cardRoot, 'update', 'person-card');
    const dir = copyAdapter(source, read(join(source, 'before.md')));
    const { stdout } = await runCli(['card', dir]);
    expect(stdout).toBe(
      read(join(source, 'README.md')).replace('\n- PEFT 0.21.0', `\n- ${DEFAULT_FRAMEWORK}`),
    );
    expect(read(join(dir, 'README.md'))).toBe(read(join(source, 'before.md')));
  });

  it('--json prints the metadata, the card and what was done', async () => {
    const source = join(cardRoot, 'update', 'model-index');
    const dir = copyAdapter(source, read(join(source, 'before.md')));
    const { code, stdout } = await runCli(['card', dir, '--json', '--write']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      adapterDir: dir,
      readmePath: join(dir, 'README.md'),
      existing: true,
      written: true,
    });
    expect(report.card).toBe(read(join(dir, 'README.md')));
    expect(Object.keys(report.metadata)).toEqual([
      'license',
      'base_model',
      'library_name',
      'pipeline_tag',
      'tags',
      'model-index',
    ]);
    expect(report.metadata.tags).toEqual(['base_model:adapter:facebook/opt-125m', 'lora', 'transformers']);
    expect(report.metadata['model-index'][0].results[0].metrics[0]).toEqual({
      type: 'accuracy',
      value: 0.93,
      name: 'Accuracy',
    });
  });

  it('fails without touching README.md when its front matter is not YAML PEFT reads', async () => {
    const bad = '---\nlicense: mit\ntags: [a\n---\n# Mine\n';
    const dir = copyAdapter(fixturePath('golden', 'cases', 'opt-ia3', 'adapter'), bad);
    const { code, stdout, stderr } = await runCli(['card', dir, '--write']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: Invalid YAML front matter at line \d+, column \d+: .+\n$/);
    expect(read(join(dir, 'README.md'))).toBe(bad);
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'adapter_config.json']);
  });

  it('refuses bad arguments and folders that are not adapters', async () => {
    expect((await runCli(['card'])).code).toBe(2);
    expect((await runCli(['card', join(scratch, 'missing')])).stderr).toBe(
      `error: adapter folder '${join(scratch, 'missing')}' does not exist\n`,
    );
    expect((await runCli(['card', scratch, scratch])).code).toBe(2);
    expect((await runCli(['card', scratch, '--frobnicate'])).code).toBe(2);
    const empty = mkdtempSync(join(scratch, 'empty-'));
    const noConfig = await runCli(['card', empty]);
    expect(noConfig).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: no adapter_config.json in '${empty}': not a PEFT adapter folder\n`,
    });
    const notUtf8 = copyAdapter(fixturePath('golden', 'cases', 'opt-ia3', 'adapter'));
    writeFileSync(join(notUtf8, 'README.md'), Buffer.from([0x2d, 0xff, 0xfe]));
    expect((await runCli(['card', notUtf8])).stderr).toBe(
      `error: '${join(notUtf8, 'README.md')}' is not valid UTF-8\n`,
    );
  });

  it('is listed by peftjs --help', async () => {
    expect((await runCli(['--help'])).stdout).toMatch(
      /\n {2}card +print or write an adapter's README\.md model card/,
    );
  });
});
