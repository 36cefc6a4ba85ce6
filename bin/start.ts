/**
 * `npm start`: the whole federation on this machine (see docs/embedded.md).
 *
 *   npm start                                        data kept in ./.data, fixed ports from 8710
 *   npm start -- --memory --port 0 --state-file F    throwaway run on free ports; F written when ready
 *   HCX_CODE_FORMAT=HCX1 npm start                   provinces issue HCX1 codes (or --code-format HCX1)
 */
import './terminal-env';
import { EngineStartFailed } from '../functions/embedded/engine';
import { FederationConfigInvalid, startFederation, type Federation } from '../functions/embedded/federation';
import { DEFAULT_PROVINCES } from '../functions/embedded/provinces';
import { LocalPathRefused } from '../functions/embedded/local-files';
import { CODE_FORMATS, DEFAULT_CODE_FORMAT, isCodeFormat, type CodeFormat } from '../functions/core/profiles';
import type { RetentionPolicy } from '../functions/core/schemas/types.gen';
import { isRetentionPolicy } from '../functions/core/schemas/validators';
import { DEFAULT_RETENTION } from '../functions/province/deps';
import { buildHandlers, provision } from '../functions/embedded/wiring';

/** Exit codes: 0 stopped cleanly, 1 failed while running, 2 bad arguments or environment. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** The retention options as a policy, or a usage error naming what is wrong. */
function retentionOption(policy: RetentionPolicy): RetentionPolicy {
  if (!isRetentionPolicy(policy)) {
    usageError(
      'retention: --max-code-lifetime must be 60 to 604800 seconds, --keep-after-expiry 0 to 2592000 seconds',
    );
  }
  return policy;
}

/** The environment variable giving the issuance format when `--code-format` does not (tools cannot pass flags). */
export const CODE_FORMAT_ENV = 'HCX_CODE_FORMAT';

/**
 * The format every province issues codes in: `--code-format`, else `HCX_CODE_FORMAT`, else HCX2.
 * An unknown format is a `RangeError` naming where it came from (a usage error for `npm start`).
 */
export function codeFormatOption(flag: string | undefined, env: NodeJS.ProcessEnv): CodeFormat {
  const [value, from] =
    flag !== undefined ? [flag, '--code-format'] : [env[CODE_FORMAT_ENV], CODE_FORMAT_ENV];
  if (value === undefined || value === '') return DEFAULT_CODE_FORMAT;
  if (!isCodeFormat(value)) {
    throw new RangeError(`${from} must be one of ${CODE_FORMATS.join(', ')}, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** The lines `npm start` prints: what runs where, and a next step that works when pasted. */
export function summary(
  federation: Pick<Federation, 'state' | 'stateFile'>,
  options: { memory: boolean; dataDir?: string; codeFormat?: CodeFormat },
): string[] {
  const { state, stateFile } = federation;
  const [a, b] = state.provinces;
  const lines = [
    `hcx federation ${state.federationId} is running (${options.memory ? 'in memory' : `data in ${options.dataDir}`})`,
    `  exchange            ${state.exchangeUrl}`,
    ...state.provinces.map((p) => `  ${`${p.name} ${p.region}`.padEnd(20)}${p.url}`),
    ...state.provinces.map(
      (p) => `  ${`pages ${p.region}`.padEnd(20)}${p.url}/check/  ${p.url}/wallet/  (checkpoint, traveller)`,
    ),
    `  state file          ${stateFile}  (tokens for the operator and internal routes)`,
    ...(options.codeFormat === 'HCX1'
      ? ['  code format         HCX1 (compatibility: --code-format / HCX_CODE_FORMAT, docs/code-format.md)']
      : []),
    '',
  ];
  if (a && b) {
    const q = JSON.stringify(stateFile);
    lines.push(
      `Try it: issue a code at ${a.name} and verify it at ${b.name} (sample identity from GB 11643):`,
      `  TOKEN=$(node -p 'require(${q}).provinces[0].internalToken')`,
      `  CODE=$(curl -s ${a.url}/v1/codes -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `    -d '{"holder":{"name":"张三","idType":"10","idNumber":"11010519491231002X"},"status":"green"}' \\`,
      `    | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).code')`,
      `  curl -s ${b.url}/v1/codes/verify -H 'content-type: application/json' -d "{\\"code\\":\\"$CODE\\"}"`,
      '',
    );
  }
  lines.push('Press Ctrl-C to stop.');
  return lines;
}

async function main(): Promise<void> {
  // loaded here, not at the top: the banner's test imports this module, and yargs is ESM-only
  const { default: yargs } = await import('yargs');
  const { hideBin } = await import('yargs/helpers');
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npm start --')
    .usage(
      '$0 [options]\n\nRun the exchange and province nodes on this machine on the embedded DynamoDB engine.',
    )
    .option('memory', {
      type: 'boolean',
      default: false,
      describe: 'keep everything in memory (throwaway run)',
    })
    .option('data', { type: 'string', default: '.data', describe: 'data folder (ignored with --memory)' })
    .option('port', {
      type: 'number',
      default: 8710,
      describe: 'exchange port; provinces on the next ones (0: free ports)',
    })
    .option('state-file', {
      type: 'string',
      describe: 'write the running federation as JSON here when ready',
    })
    .option('provinces', {
      type: 'string',
      default: DEFAULT_PROVINCES.join(','),
      describe: 'province region codes, comma separated; region:SM2 runs that province on SM2 keys',
    })
    .option('code-format', {
      type: 'string',
      describe: `format the provinces issue codes in: HCX2 or HCX1 (default: $${CODE_FORMAT_ENV}, else HCX2)`,
    })
    .option('sync-interval', { type: 'number', default: 2, describe: 'seconds between sync runs' })
    .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but errors' })
    // retention policy of every province (docs/embedded.md#retention)
    .option('max-code-lifetime', { type: 'number', describe: 'retention: longest code, seconds (60-604800)' })
    .option('keep-after-expiry', {
      type: 'number',
      default: 0,
      describe: 'retention: seconds an issued-code record is kept after its code expires',
    })
    .option('holder-erasure', {
      type: 'boolean',
      default: true,
      describe: 'retention: holders may have their record erased (--no-holder-erasure to refuse)',
    })
    .strict()
    .version(false)
    .help()
    .fail((message, error) => {
      usageError(error ? error.message : message);
    })
    .parseAsync();

  if (!Number.isFinite(argv.port)) usageError('--port must be a number');
  if (!Number.isFinite(argv['sync-interval'])) usageError('--sync-interval must be a number of seconds');

  let codeFormat: CodeFormat;
  try {
    codeFormat = codeFormatOption(argv['code-format'], process.env);
  } catch (e) {
    usageError((e as Error).message);
  }

  const say = (line: string) => {
    if (!argv.quiet) process.stdout.write(`${line}\n`);
  };
  const log = (message: string, fields: Record<string, string | number | undefined>) =>
    process.stderr.write(`${JSON.stringify({ level: 'WARN', message, ...fields })}\n`);

  let federation: Federation;
  try {
    federation = await startFederation({
      memory: argv.memory,
      dataDir: argv.data,
      port: argv.port,
      stateFile: argv['state-file'],
      provinces: argv.provinces.split(','),
      syncIntervalSeconds: argv['sync-interval'],
      codeFormat,
      retention: retentionOption({
        maxCodeLifetimeSeconds: argv['max-code-lifetime'] ?? DEFAULT_RETENTION.maxCodeLifetimeSeconds,
        keepAfterExpirySeconds: argv['keep-after-expiry'],
        holderErasure: argv['holder-erasure'],
      }),
      buildHandlers,
      provision,
      log,
    });
  } catch (e) {
    if (
      e instanceof FederationConfigInvalid ||
      e instanceof EngineStartFailed ||
      e instanceof LocalPathRefused
    )
      usageError(e.message);
    throw e;
  }

  summary(federation, { memory: argv.memory, dataDir: federation.context.dataDir, codeFormat }).forEach(say);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping…`);
    federation
      .close()
      .then(() => {
        say('stopped');
        process.exit(0);
      })
      .catch(() => {
        process.stderr.write('hcx: could not stop cleanly\n');
        process.exit(EXIT_FAILED);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function usageError(message: string): never {
  process.stderr.write(`hcx start: ${message}\n`);
  process.exit(EXIT_USAGE);
}

// run as `npm start`; imported (by the banner's test), it only defines `summary`
if (require.main === module) {
  main().catch((e: unknown) => {
    // start-up handles no personal data, so the message is safe to show; the stack is not useful to users
    const err = e as Error | undefined;
    process.stderr.write(`hcx start: failed: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}\n`);
    process.exit(EXIT_FAILED);
  });
}
