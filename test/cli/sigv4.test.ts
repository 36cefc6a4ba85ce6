/**
 * The CLI signs its calls to an AWS-deployed node with SigV4 (the AWS SDK's signer, credentials
 * from the standard chain: here its environment provider with fixed test keys), and a node that
 * receives the call finds the signature valid by signing the received request again with the
 * same library, key and date.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { issue } from '../../functions/cli/commands/issue';
import { call } from '../../functions/cli/http';
import { Sha256, signRequest, sigv4RegionFor } from '../../functions/cli/sigv4';
import { type CliError, EXIT } from '../../functions/cli/errors';

const KEYS = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const saved: Record<string, string | undefined> = {};
let server: Server;
let base: string;
let received: { req: IncomingMessage; body: string }[] = [];

beforeAll(async () => {
  for (const k of [...Object.keys(KEYS), 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'HCX_AWS_REGION'])
    saved[k] = process.env[k];
  Object.assign(process.env, KEYS);
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ req, body });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'HC1:x', codeId: 'c1', expiresAt: '2026-12-01T00:00:00Z' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  received = [];
  delete process.env.HCX_AWS_REGION;
});

/** What the signature over the received request must be, computed again with the same library. */
async function expectedAuthorization(
  got: { req: IncomingMessage; body: string },
  region: string,
): Promise<string> {
  const amzDate = String(got.req.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: { accessKeyId: KEYS.AWS_ACCESS_KEY_ID, secretAccessKey: KEYS.AWS_SECRET_ACCESS_KEY },
    sha256: Sha256,
  });
  const headers: Record<string, string> = {};
  for (const name of ['accept', 'content-type']) {
    if (got.req.headers[name]) headers[name] = String(got.req.headers[name]);
  }
  const again = await signRequest(
    signer,
    { method: got.req.method!, url: new URL(got.req.url!, base), headers, body: got.body || undefined },
    signingDate,
  );
  return again.authorization;
}

describe('SigV4 in the CLI', () => {
  it('signs for the region of an execute-api host, in the global and the China partition', () => {
    expect(sigv4RegionFor(new URL('https://abc123.execute-api.ap-east-1.amazonaws.com/'), {})).toBe(
      'ap-east-1',
    );
    expect(sigv4RegionFor(new URL('https://abc123.execute-api.cn-north-1.amazonaws.com.cn/'), {})).toBe(
      'cn-north-1',
    );
    expect(sigv4RegionFor(new URL('http://127.0.0.1:8711/'), {})).toBeUndefined();
  });

  it('issues a code with a request signed from the credential chain that verifies with the same signer', async () => {
    // prepare: a node behind a custom domain, so the region comes from HCX_AWS_REGION
    process.env.HCX_AWS_REGION = 'cn-north-1';

    // act
    await issue({ node: base, name: '张三', idType: '10', idNumber: '11010519491231002X', status: 'green' });

    // assert: an AWS4-HMAC-SHA256 signature by the chain's key, for execute-api in cn-north-1, that
    // the same library computes again from what the node received
    const got = received[0];
    const authorization = String(got.req.headers.authorization);
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/cn-north-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(authorization).toBe(await expectedAuthorization(got, 'cn-north-1'));
  });

  it('sends the bearer token instead when one is given (the embedded runtime)', async () => {
    process.env.HCX_AWS_REGION = 'cn-north-1';
    await call(base, '/v1/registry', { token: 't0ken', authenticated: true });
    expect(received[0].req.headers.authorization).toBe('Bearer t0ken');
  });

  it('refuses an authenticated call with neither a token nor an AWS target, before sending it', async () => {
    const error = await call(base, '/v1/registry', { authenticated: true }).then(
      () => undefined,
      (e: CliError) => e,
    );
    expect(error?.exitCode).toBe(EXIT.USAGE);
    expect(error?.message).toMatch(/missing --token T/);
    expect(received).toEqual([]);
  });
});
