/**
 * `npm run build:pages -- --federation ID --jwks federation-jwks.json --out DIR [--trust-list-url URL]
 * [--status-batches-url URL]`:
 * the checkpoint and traveller pages as static files for any static host (S3 + CloudFront, a
 * province's own web server), with the federation's public key pinned in them. Prints each file's
 * size and the headers to serve it with (DIR/headers.json).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { federationKeys } from '../functions/core/trustlist/trust-list';
import { buildPages, gzippedKB } from '../web/build';

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option('federation', { type: 'string', demandOption: true, describe: 'federation id' })
    .option('jwks', { type: 'string', demandOption: true, describe: 'file holding the federation JWKS' })
    .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
    .option('trust-list-url', {
      type: 'string',
      default: '/v1/trust-list',
      describe: 'URL of the signed trust list, from the page (same origin: no CORS needed)',
    })
    .option('status-batches-url', {
      type: 'string',
      default: '/v1/status-batches/',
      describe: 'URL prefix of the status batches the list names (the batch hash is appended)',
    })
    .strict()
    .parseAsync();
  let jwks: { keys: unknown[] };
  try {
    jwks = JSON.parse(readFileSync(argv.jwks, 'utf8'));
  } catch {
    throw new Error(`${argv.jwks} is not a readable JSON file`);
  }
  // the page would refuse every list under a key that fails intake: refuse to build it instead
  await federationKeys(jwks, argv.federation)
    .resolve()
    .catch(() => {
      throw new Error(`${argv.jwks} does not hold usable federation public keys`);
    });
  const files = await buildPages({
    federation: argv.federation,
    federationJwks: jwks,
    trustListUrl: argv['trust-list-url'],
    statusBatchesUrl: argv['status-batches-url'],
  });
  const headers: Record<string, Readonly<Record<string, string>>> = {};
  for (const [path, file] of files) {
    const target = join(argv.out, path.endsWith('/') ? `${path}index.html` : path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.body);
    headers[path] = file.headers;
    console.log(`${path.padEnd(20)} ${gzippedKB(file)} KB gzipped`);
  }
  writeFileSync(join(argv.out, 'headers.json'), JSON.stringify(headers, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`build:pages: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
