/**
 * Writes docs/openapi.json from schemas/ and the route table (functions/openapi/build.ts).
 *
 * `npx tsx scripts/gen-openapi.ts` writes the file; `--check` only compares and exits 1 when the
 * checked-in file differs (drift between the document and its sources). The output is formatted
 * with the project's prettier settings so that `prettier --check .` agrees with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { buildOpenApi } from '../functions/openapi/build';

const OUT_FILE = path.resolve(__dirname, '..', 'docs', 'openapi.json');

/** The document as it is checked in. */
export async function renderOpenApi(): Promise<string> {
  const options = (await resolveConfig(OUT_FILE)) ?? {};
  return format(JSON.stringify(buildOpenApi()), { ...options, filepath: OUT_FILE });
}

async function main(): Promise<void> {
  const text = await renderOpenApi();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(OUT_FILE) ? fs.readFileSync(OUT_FILE, 'utf8') : '';
    if (current !== text) {
      process.stderr.write('docs/openapi.json is out of date: run `npx tsx scripts/gen-openapi.ts`\n');
      process.exit(1);
    }
    process.stdout.write('docs/openapi.json is up to date\n');
    return;
  }
  fs.mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  fs.writeFileSync(OUT_FILE, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), OUT_FILE)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`gen-openapi: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
