/**
 * The command line every generator in scripts/ shares: `[--check] [--out <file>]`. Without
 * `--check` it writes the generated text; with it, it only compares and fails (exit 1) with the
 * first differing line and the command that regenerates the file. `--out` lets tests use a scratch copy.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Write or check `text` against the generated file; the process exit code. */
export function writeOrCheck(
  argv: readonly string[],
  options: { root: string; defaultOut: string; text: string; name: string; source: string },
): number {
  const outAt = argv.indexOf('--out');
  const outFile = outAt >= 0 && argv[outAt + 1] ? path.resolve(argv[outAt + 1]) : options.defaultOut;
  const shown = path.relative(options.root, outFile);
  if (!argv.includes('--check')) {
    fs.writeFileSync(outFile, options.text);
    console.log(`wrote ${shown}`);
    return 0;
  }
  const current = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : undefined;
  if (current === options.text) {
    console.log(`${shown} is up to date`);
    return 0;
  }
  const why =
    current === undefined
      ? 'is missing'
      : `differs from what ${options.source} generates (${firstDifference(current, options.text)})`;
  console.error(
    `check:${options.name} failed: ${shown} ${why}. Run \`npm run build:${options.name}\` and commit the result.`,
  );
  return 1;
}

/** `line N` of the first line where two texts differ, to point the reader at the change. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const n = la.findIndex((line, i) => line !== lb[i]);
  return `first difference at line ${(n < 0 ? la.length : n) + 1}`;
}
