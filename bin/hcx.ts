/**
 * `hcx`: the command-line tool for a province, a checkpoint or an operator (docs/cli.md).
 *
 * This file only parses arguments, fills connection options from an `npm start` state file, and
 * prints: each command is a function in functions/cli/commands/ that takes explicit options and
 * returns a result with its exit code. Every error is printed as `hcx: <message>`, never a stack.
 */
// Before the AWS SDK could load: it warns once per process about Node 20, which is supported here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { issue } from '../functions/cli/commands/issue';
import {
  KEY_ALGORITHMS,
  REVOCATION_REASONS,
  keysGenerate,
  keysPublish,
  keysRevoke,
  keysRotate,
} from '../functions/cli/commands/keys';
import { status } from '../functions/cli/commands/status';
import { trustListFetch, trustListShow } from '../functions/cli/commands/trust-list';
import {
  sunsetFederationCommand,
  sunsetProvinceCommand,
  sunsetVerifyCommand,
} from '../functions/cli/commands/sunset';
import { verify } from '../functions/cli/commands/verify';
import { CliError, EXIT, UsageError } from '../functions/cli/errors';
import { federationJwks } from '../functions/cli/files';
import type { CommandResult } from '../functions/cli/result';
import { loadState, pickProvince, type FederationState } from '../functions/cli/state';

/** Exit code of an unexpected failure (a bug): not one of the documented outcomes. */
const EXIT_BUG = 5;

type Args = Record<string, unknown>;

const str = (a: Args, k: string): string | undefined =>
  typeof a[k] === 'string' ? (a[k] as string) : undefined;
const num = (a: Args, k: string): number | undefined => {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`--${k} must be a number`);
  return v;
};
const list = (a: Args, k: string): string[] => {
  const v = a[k];
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
};

/** Connection options from the state file (`--state-file`, `--province`), overridden by explicit flags. */
interface Filled {
  readonly state?: FederationState;
  readonly exchange?: string;
  readonly region?: string;
  readonly node?: string;
  readonly token?: string;
  readonly enrollmentKey?: string;
  readonly federationJwks?: string | object;
}

function fill(a: Args): Filled {
  const stateFile = str(a, 'state-file');
  const region = str(a, 'province');
  if (stateFile === undefined && region !== undefined)
    throw new UsageError('--province picks a province of --state-file F');
  const state = stateFile !== undefined ? loadState(stateFile) : undefined;
  const p = state ? pickProvince(state, region) : undefined;
  return {
    state,
    exchange: str(a, 'exchange') ?? state?.exchangeUrl,
    region: str(a, 'region') ?? p?.region,
    node: str(a, 'node') ?? p?.url,
    token: str(a, 'token') ?? (process.env.HCX_TOKEN || undefined) ?? p?.internalToken,
    enrollmentKey: str(a, 'enrollment-key') ?? (p?.enrollmentKeyFile || undefined),
    federationJwks: str(a, 'federation-jwks') ?? state?.federationJwks,
  };
}

/** `value`, or a usage error naming the flag and the shortcut. */
function need<T>(value: T | undefined, flag: string): T {
  if (value === undefined)
    throw new UsageError(`missing ${flag} (or pass --state-file F from \`npm start -- --state-file F\`)`);
  return value;
}

/** Print a result (or an error) and set the exit code. */
async function run(a: Args, command: () => Promise<CommandResult>): Promise<void> {
  try {
    const result = await command();
    if (a.json) process.stdout.write(`${JSON.stringify(result.data, null, 2)}\n`);
    else if (result.lines.length > 0) process.stdout.write(`${result.lines.join('\n')}\n`);
    for (const line of result.errors ?? []) process.stderr.write(`hcx: ${line}\n`);
    process.exitCode = result.exitCode;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`hcx: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      // Not a message written for users: show only its kind, never a stack or an inner message.
      const name = e instanceof Error ? e.name : typeof e;
      const code = (e as { code?: unknown } | undefined)?.code;
      process.stderr.write(
        `hcx: unexpected error (${name}${typeof code === 'string' ? ` ${code}` : ''}); please report it\n`,
      );
      process.exitCode = EXIT_BUG;
    }
  }
}

const exchangeOptions = (y: Argv) =>
  y
    .option('exchange', { type: 'string', describe: 'exchange URL (from --state-file)' })
    .option('region', { type: 'string', describe: 'province region code, e.g. 330000 (from --state-file)' })
    .option('enrollment-key', {
      type: 'string',
      describe: "province's private enrollment JWK file (from --state-file)",
    });

function keysCommands(y: Argv): Argv {
  return y
    .command(
      'generate',
      'generate a signing key; write its private JWK (mode 0600) and print its kid',
      (c) =>
        c
          .option('alg', { choices: KEY_ALGORITHMS, default: 'ES256', describe: 'algorithm' })
          .option('out', { type: 'string', demandOption: true, describe: 'private key file to create' })
          .option('force', { type: 'boolean', default: false, describe: 'replace an existing file' })
          .example('$0 keys generate --out .data/zj-2025.jwk.json', ''),
      (a) =>
        run(a, () =>
          keysGenerate({ alg: str(a, 'alg'), out: str(a, 'out') as string, force: a.force === true }),
        ),
    )
    .command(
      'publish',
      "publish a key to the exchange (signed with the province's enrollment key)",
      (c) =>
        exchangeOptions(c)
          .option('key', { type: 'string', demandOption: true, describe: 'key file (from keys generate)' })
          .option('not-after', { type: 'number', default: 365, describe: 'lifetime in days' })
          .example(
            '$0 keys publish --state-file .data/state.json --province 330000 --key .data/zj-2025.jwk.json',
            '',
          ),
      (a) =>
        run(a, () => {
          const f = fill(a);
          return keysPublish({
            exchange: need(f.exchange, '--exchange URL'),
            region: need(f.region, '--region R'),
            enrollmentKey: need(f.enrollmentKey, '--enrollment-key FILE'),
            key: str(a, 'key') as string,
            notAfterDays: num(a, 'not-after'),
          });
        }),
    )
    .command(
      'revoke',
      'revoke a key at the exchange',
      (c) =>
        exchangeOptions(c)
          .option('kid', { type: 'string', demandOption: true, describe: 'key id (thumbprint)' })
          .option('reason', { choices: REVOCATION_REASONS, demandOption: true, describe: 'why' })
          .example('$0 keys revoke --state-file .data/state.json --kid <kid> --reason compromised', ''),
      (a) =>
        run(a, () => {
          const f = fill(a);
          return keysRevoke({
            exchange: need(f.exchange, '--exchange URL'),
            region: need(f.region, '--region R'),
            enrollmentKey: need(f.enrollmentKey, '--enrollment-key FILE'),
            kid: str(a, 'kid') as string,
            reason: str(a, 'reason') as string,
          });
        }),
    )
    .command(
      'rotate',
      'generate and publish a new key, wait until the trust list has it, revoke the old one as superseded',
      (c) =>
        exchangeOptions(c)
          .option('key', { type: 'string', describe: 'the current key file (or --kid)' })
          .option('kid', { type: 'string', describe: 'the current key id (or --key)' })
          .option('out', { type: 'string', demandOption: true, describe: 'file for the new private key' })
          .option('alg', { choices: KEY_ALGORITHMS, default: 'ES256', describe: 'algorithm of the new key' })
          .option('not-after', { type: 'number', default: 365, describe: 'lifetime of the new key in days' })
          .option('federation-jwks', { type: 'string', describe: 'federation JWKS file (from --state-file)' })
          .option('wait', { type: 'number', default: 60, describe: 'seconds to wait for the trust list' })
          .option('revoke', {
            type: 'boolean',
            default: true,
            describe: 'revoke the old key as superseded at the end (--no-revoke: leave it active)',
          }),
      (a) =>
        run(a, () => {
          const f = fill(a);
          return keysRotate({
            exchange: need(f.exchange, '--exchange URL'),
            region: need(f.region, '--region R'),
            enrollmentKey: need(f.enrollmentKey, '--enrollment-key FILE'),
            federationJwks: need(f.federationJwks, '--federation-jwks FILE'),
            key: str(a, 'key'),
            kid: str(a, 'kid'),
            out: str(a, 'out') as string,
            alg: str(a, 'alg'),
            notAfterDays: num(a, 'not-after'),
            waitSeconds: num(a, 'wait'),
            revokeOld: a.revoke !== false,
          });
        }),
    )
    .demandCommand(1, 'which keys command? generate, publish, revoke or rotate');
}

function trustListCommands(y: Argv): Argv {
  return y
    .command(
      'fetch',
      'download the trust list, verify it with the federation key, save it (for verify --offline)',
      (c) =>
        c
          .option('exchange', { type: 'string', describe: 'exchange URL (from --state-file)' })
          .option('federation-jwks', { type: 'string', describe: 'federation JWKS file (from --state-file)' })
          .option('out', { type: 'string', demandOption: true, describe: 'file to save the signed list in' })
          .option('static-url', {
            type: 'string',
            describe:
              "the exchange's static site (stack output StaticUrl; <exchange>/static with npm start): the list and its batches are fetched there first",
          }),
      (a) =>
        run(a, () => {
          const f = fill(a);
          const staticUrl = str(a, 'static-url');
          return trustListFetch({
            exchange: need(f.exchange, '--exchange URL'),
            federationJwks: need(f.federationJwks, '--federation-jwks FILE'),
            out: str(a, 'out') as string,
            ...(staticUrl ? { staticUrl } : {}),
          });
        }),
    )
    .command(
      'show <file>',
      'verify a saved trust list and show its version, age, provinces and keys',
      (c) =>
        c.positional('file', { type: 'string', describe: 'saved trust list' }).option('federation-jwks', {
          type: 'string',
          describe: 'federation JWKS file (from --state-file)',
        }),
      (a) =>
        run(a, () =>
          trustListShow({
            file: str(a, 'file') as string,
            federationJwks: need(fill(a).federationJwks, '--federation-jwks FILE'),
          }),
        ),
    )
    .demandCommand(1, 'which trust-list command? fetch or show');
}

function sunsetCommands(y: Argv): Argv {
  return y
    .command(
      'province',
      "end a province's service: issuance stops, keys retired and destroyed, records erased (prints the signed deletion report)",
      (c) =>
        c
          .option('node', { type: 'string', describe: 'province node URL (from --state-file)' })
          .option('token', { type: 'string', describe: 'internal token (from --state-file, or HCX_TOKEN)' })
          .option('out', { type: 'string', describe: 'save the deletion report (JWS) here' }),
      (a) =>
        run(a, () => {
          const f = fill(a);
          return sunsetProvinceCommand({
            node: need(f.node, '--node URL'),
            token: need(f.token, '--token T'),
            out: str(a, 'out'),
          });
        }),
    )
    .command(
      'federation',
      'end the federation (operator): final trust list with a sunset marker, data erased, federation key destroyed',
      (c) =>
        c
          .option('exchange', { type: 'string', describe: 'exchange URL (from --state-file)' })
          .option('token', { type: 'string', describe: 'operator token (from --state-file, or HCX_TOKEN)' })
          .option('out', { type: 'string', describe: 'save the deletion report (JWS) here' })
          .option('trust-list-out', { type: 'string', describe: 'save the final trust list here' }),
      (a) =>
        run(a, () => {
          const f = fill(a);
          return sunsetFederationCommand({
            exchange: need(f.exchange, '--exchange URL'),
            token: need(
              str(a, 'token') ?? (process.env.HCX_TOKEN || undefined) ?? f.state?.operatorToken,
              '--token T',
            ),
            out: str(a, 'out'),
            trustListOut: str(a, 'trust-list-out'),
          });
        }),
    )
    .command(
      'verify <file>',
      'verify a deletion report with the public key of its signer; exit 0 valid, 1 not valid',
      (c) =>
        c.positional('file', { type: 'string', describe: 'deletion report (compact JWS)' }).option('jwks', {
          type: 'string',
          describe:
            'JWKS file of the signer (federation key, or the province enrollment key); default the federation JWKS of --state-file',
        }),
      (a) =>
        run(a, () =>
          sunsetVerifyCommand({
            file: str(a, 'file') as string,
            jwks: federationJwks(need(str(a, 'jwks') ?? fill(a).federationJwks, '--jwks FILE')),
          }),
        ),
    )
    .demandCommand(1, 'which sunset command? province, federation or verify');
}

function parser(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('hcx')
    .usage('$0 <command> [options]\n\nhcx: health-code exchange command-line tool (docs/cli.md).')
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON (for scripts)' })
    .option('state-file', {
      type: 'string',
      describe:
        'npm start state file: fills --exchange, --node, --token, --enrollment-key, --federation-jwks',
    })
    .option('province', { type: 'string', describe: 'with --state-file: which province (default the first)' })
    .command('keys', 'generate, publish, revoke or rotate signing keys', keysCommands)
    .command('sunset', 'end a province or the federation, and verify deletion reports', sunsetCommands)
    .command(
      'issue',
      'issue a code at a province node; print it and write its QR (.svg or .png)',
      (c) =>
        c
          .option('node', { type: 'string', describe: 'province node URL (from --state-file)' })
          .option('token', {
            type: 'string',
            describe:
              'internal token (from --state-file, or HCX_TOKEN); none: SigV4 from the AWS credential chain for an AWS node',
          })
          .option('request', { type: 'string', describe: 'JSON file with an issue request' })
          .option('name', { type: 'string', describe: "holder's name" })
          .option('id-type', {
            type: 'string',
            describe: 'ID document type: 10 resident card, 20 passport, …',
          })
          .option('id-number', { type: 'string', describe: 'ID document number' })
          .option('status', { choices: ['green', 'yellow', 'red'], describe: 'status colour' })
          .option('validity', { type: 'number', describe: 'lifetime in seconds (default 86400)' })
          .option('qr', { type: 'string', describe: 'write the QR here (.svg or .png)' })
          .example(
            '$0 issue --state-file .data/state.json --province 330000 --name 张三 --id-type 10 --id-number 11010519491231002X --status green --qr .data/code.png',
            '',
          ),
      (a) =>
        run(a, () => {
          const f = fill(a);
          return issue({
            node: need(f.node, '--node URL'),
            token: f.token,
            request: str(a, 'request'),
            name: str(a, 'name'),
            idType: str(a, 'id-type'),
            idNumber: str(a, 'id-number'),
            status: str(a, 'status'),
            validity: num(a, 'validity'),
            qr: str(a, 'qr'),
          });
        }),
    )
    .command(
      'verify [code]',
      'verify a code online (--node) or offline (--offline --trust-list); exit 0 valid, 1 not valid',
      (c) =>
        c
          .positional('code', {
            type: 'string',
            describe: 'the code string HCX2:… (text or QR form; HCX1:… until those expire)',
          })
          .option('qr', { type: 'string', describe: 'read the code from a PNG QR image instead' })
          .option('node', { type: 'string', describe: 'province node URL (from --state-file)' })
          .option('offline', {
            type: 'boolean',
            default: false,
            describe: 'verify against a saved trust list',
          })
          .option('trust-list', { type: 'string', describe: 'saved trust list (hcx trust-list fetch)' })
          .option('federation-jwks', { type: 'string', describe: 'federation JWKS file (from --state-file)' })
          .option('id-type', { type: 'string', describe: 'ID document presented: type' })
          .option('id-number', { type: 'string', describe: 'ID document presented: number' }),
      (a) =>
        run(a, () => {
          const offline = a.offline === true;
          const f = fill(a);
          return verify({
            code: str(a, 'code'),
            qr: str(a, 'qr'),
            offline,
            node: offline ? str(a, 'node') : f.node,
            trustList: str(a, 'trust-list'),
            federationJwks: f.federationJwks,
            idType: str(a, 'id-type'),
            idNumber: str(a, 'id-number'),
          });
        }),
    )
    .command('trust-list', 'fetch or show the signed trust list', trustListCommands)
    .command(
      'status',
      'federation, trust list version, and each node’s replica',
      (c) =>
        c
          .option('exchange', { type: 'string', describe: 'exchange URL (from --state-file)' })
          .option('node', { type: 'string', array: true, describe: 'province node URL (repeatable)' })
          .option('token', {
            type: 'string',
            array: true,
            describe: 'internal token of each --node, in order',
          })
          .option('federation-jwks', {
            type: 'string',
            describe: 'federation JWKS file (from --state-file)',
          })
          .option('audit', {
            type: 'boolean',
            describe: "have each node re-derive its replica from the signed evidence (exit 3 if one doesn't)",
          }),
      (a) =>
        run(a, () => {
          const f = fill(a);
          const urls = list(a, 'node');
          const tokens = list(a, 'token');
          const nodes =
            urls.length > 0
              ? urls.map((url, i) => ({ url, token: tokens[i] }))
              : (f.state?.provinces ?? []).map((p) => ({
                  url: p.url,
                  token: p.internalToken,
                  region: p.region,
                }));
          return status({
            exchange: f.exchange,
            nodes,
            federationJwks: f.federationJwks,
            audit: a.audit === true,
          });
        }),
    )
    .demandCommand(1, 'which command? keys, issue, verify, trust-list or status')
    .strict()
    .version(false)
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      if (error && !(error instanceof UsageError) && message === undefined) throw error;
      process.stderr.write(
        `hcx: ${message ?? error?.message}\nRun \`hcx --help\` (or \`hcx <command> --help\`) for usage.\n`,
      );
      process.exit(EXIT.USAGE);
    });
}

parser(hideBin(process.argv))
  .parseAsync()
  .catch(() => {
    process.stderr.write('hcx: unexpected error; please report it\n');
    process.exitCode = EXIT_BUG;
  });
