/**
 * Writes the tables of the contract's Errors section (docs/contract.md) from the error catalogue
 * (functions/core/error-catalogue.ts): every problem code with its status, title and meaning, then
 * every reason list. Only the text between the two `errors` markers is generated; the rest of the
 * contract is hand-written.
 *
 * `npm run build:errors` writes the file; `npm run check:errors` (part of `npm test`) only compares
 * and exits 1 when the contract and the catalogue drifted apart. The whole document goes through the
 * project's prettier settings so that `prettier --check .` agrees with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { ERRORS, REASON_CATALOGUES, type ErrorSpec } from '../functions/core/error-catalogue';
import { writeOrCheck } from './generated-file';

const ROOT = path.resolve(__dirname, '..');
export const CONTRACT_FILE = path.join(ROOT, 'docs', 'contract.md');
export const BEGIN =
  '<!-- BEGIN errors: generated from functions/core/error-catalogue.ts by `npm run build:errors` -->';
export const END = '<!-- END errors -->';

/** Markdown table cell: no raw pipes or line breaks. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

/** The generated part of the Errors section (unformatted markdown). */
export function renderErrorSection(): string {
  const codes = (Object.entries(ERRORS) as [string, ErrorSpec][])
    .sort(([a, x], [b, y]) => x.status - y.status || a.localeCompare(b))
    .map(([code, spec]) => [
      String(spec.status),
      `\`${code}\``,
      spec.title,
      spec.retryable ? `${spec.meaning} Retryable.` : spec.meaning,
    ]);
  const parts = [
    'Problem codes (`code`; `type` is `https://hcx.example/problems/<code in kebab case>`):',
    table(['status', 'code', 'title', 'meaning'], codes),
  ];
  for (const list of REASON_CATALOGUES) {
    parts.push(
      `${list.carrier} reasons, seen in ${list.seen}:`,
      table(
        ['reason', 'meaning'],
        Object.entries(list.reasons).map(([reason, meaning]) => [`\`${reason}\``, meaning as string]),
      ),
    );
  }
  return parts.join('\n\n');
}

/** The contract with its generated section replaced, formatted as checked in. */
export async function renderContract(current: string): Promise<string> {
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/contract.md lacks the markers ${BEGIN} … ${END}`);
  const text = `${current.slice(0, begin + BEGIN.length)}\n\n${renderErrorSection()}\n\n${current.slice(end)}`;
  const options = (await resolveConfig(CONTRACT_FILE)) ?? {};
  return format(text, { ...options, filepath: CONTRACT_FILE });
}

async function main(): Promise<void> {
  const text = await renderContract(fs.readFileSync(CONTRACT_FILE, 'utf8'));
  process.exitCode = writeOrCheck(process.argv.slice(2), {
    root: ROOT,
    defaultOut: CONTRACT_FILE,
    text,
    name: 'errors',
    source: 'functions/core/error-catalogue.ts',
  });
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`gen-errors: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
