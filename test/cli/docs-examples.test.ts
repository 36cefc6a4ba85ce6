/**
 * Following README.md and docs/cli.md must not break `npm test` nor put a private key in a commit:
 * every file their examples write goes under `.data/`, which git and Prettier ignore.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

/** The shell commands of a Markdown file's ```sh blocks, continuation lines joined. */
function commands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) =>
    b
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trim().startsWith('#')),
  );
}

/** The paths a command writes: `--out`, `--qr` of `hcx issue`, and `cat > FILE`. */
function written(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/--out\s+(\S+)/g)) out.push(m[1]);
  if (/hcx issue/.test(command)) for (const m of command.matchAll(/--qr\s+(\S+)/g)) out.push(m[1]);
  for (const m of command.matchAll(/cat\s+>\s*(\S+)/g)) out.push(m[1]);
  return out;
}

describe('the examples of the README and docs/cli.md', () => {
  const files = ['README.md', 'docs/cli.md'];

  it('write files only under .data/', () => {
    const paths = files.flatMap((f) => commands(read(f)).flatMap(written));

    expect(paths.length).toBeGreaterThanOrEqual(7); // issue --qr (x3), fetch --out, keys generate and rotate, cat >
    expect(paths.filter((p) => !p.startsWith('.data/'))).toEqual([]);
  });

  it('where git and Prettier ignore them', () => {
    expect(read('.gitignore').split('\n')).toContain('.data/');
    expect(read('.prettierignore').split('\n')).toContain('.data');
  });

  it('the check is not vacuous: a file written in the project folder is found', () => {
    expect(written('npx hcx issue --name x --qr code.png')).toEqual(['code.png']);
    expect(written('npx hcx verify --qr code.png')).toEqual([]);
  });
});
