/**
 * Every answer of a running federation against the OpenAPI document it serves: each route's 2xx
 * body validates against the schema the route table names for it, gateway errors are declared, a
 * literal segment is never taken for a parameter, and the plain JWKS works with a standard client.
 */
import { randomBytes } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { compactVerify, createRemoteJWKSet } from 'jose';
import { encodeB64url } from '../../functions/core/b64';
import { generateSigningKey } from '../../functions/core/keys';
import { isValidResidentId } from '../../functions/core/schemas/validators';
import type { Federation } from '../../functions/embedded/federation';
import { buildOpenApi } from '../../functions/openapi/build';
import { ROUTES } from '../../functions/routes';
import { HOLDER, issueAt, now, signedAs, startTestFederation, type ProvinceState } from '../kit/federation';

type Operation = { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> };
const doc = buildOpenApi() as { paths: Record<string, Record<string, Operation>> };

const ajv = new Ajv2020({ strict: false, discriminator: false });
addFormats(ajv);
ajv.addFormat('gb11643', { type: 'string', validate: isValidResidentId });
ajv.addSchema({ ...doc, $id: 'https://hcx.example/openapi.json' });

/** The schema errors of `body` against the 2xx schema OpenAPI declares for route `fn` (none: []). */
function conformance(fn: string, status: number, body: unknown): unknown[] {
  const route = ROUTES.find((r) => r.fn === fn);
  if (!route) throw new Error(`no route ${fn}`);
  const op = doc.paths[route.path][route.method.toLowerCase()];
  const content = op.responses[String(status)]?.content;
  if (!content) return [`no ${status} content declared for ${fn}`];
  const [type] = Object.keys(content);
  const pointer = `#/paths/${route.path.replace(/~/g, '~0').replace(/\//g, '~1')}/${route.method.toLowerCase()}/responses/${status}/content/${type.replace(/\//g, '~1')}/schema`;
  const validate = ajv.getSchema(`https://hcx.example/openapi.json${pointer}`);
  if (!validate) return [`no schema at ${pointer}`];
  return validate(body) ? [] : (validate.errors ?? ['invalid']);
}

let fed: Federation;
let zj: ProvinceState;
let gd: ProvinceState;
let fj: ProvinceState;

beforeAll(async () => {
  fed = await startTestFederation();
  [zj, gd, fj] = fed.state.provinces;
}, 60_000);
afterAll(() => fed?.close());

const asInternal = (p: ProvinceState) => ({ authorization: `Bearer ${p.internalToken}` });
const jose = (body: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/jose' },
  body,
});

describe('OpenAPI response schemas', () => {
  it('gives every JSON success answer of the route table a schema (no untyped object)', () => {
    const untyped = ROUTES.filter((r) => r.responseType === 'application/json' && !r.responseSchema).map(
      (r) => r.fn,
    );

    expect(untyped).toEqual([]);
  });

  it('declares the gateway answers (404 for an unknown path, 405 with Allow) on every operation', () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === 'servers') continue;
        if (!op.responses.default) missing.push(`${method} ${path}`);
      }
    }
    const components = (buildOpenApi() as { components: { responses: Record<string, object> } }).components
      .responses;

    expect(missing).toEqual([]);
    expect(components).toHaveProperty('MethodNotAllowed.headers.Allow');
    expect(JSON.stringify(components.OtherProblem)).toMatch(/404 NOT_FOUND.*405 METHOD_NOT_ALLOWED/);
  });

  it('the province node answers what its schemas say: issue, get, revoke, registry and its audit', async () => {
    const issuedRes = await issueAt(zj, { holder: HOLDER, status: 'green' });
    const issued = (await issuedRes.json()) as { codeId: string };
    // schemas/issue-response.json: an HCX2 code (the pattern admitted only HCX1 before session 6)
    expect([issuedRes.status, conformance('province-issue', 201, issued)]).toEqual([201, []]);
    const got = await fetch(`${zj.url}/v1/codes/${issued.codeId}`, { headers: asInternal(zj) });
    const revoked = await fetch(`${zj.url}/v1/codes/${issued.codeId}/revoke`, {
      method: 'POST',
      headers: asInternal(zj),
    });
    // The holder export of a revoked code (its revocation members) against schemas/code-record.json.
    const exported = await fetch(`${zj.url}/v1/codes/${issued.codeId}`, { headers: asInternal(zj) });
    const registry = await fetch(`${gd.url}/v1/registry`, { headers: asInternal(gd) });
    const audited = await fetch(`${gd.url}/v1/registry?audit=true`, { headers: asInternal(gd) });

    expect([got.status, conformance('province-get-code', 200, await got.json())]).toEqual([200, []]);
    expect([revoked.status, conformance('province-revoke-code', 200, await revoked.json())]).toEqual([
      200,
      [],
    ]);
    const record = (await exported.json()) as Record<string, unknown>;
    expect([exported.status, record.status, conformance('province-get-code', 200, record)]).toEqual([
      200,
      'revoked',
      [],
    ]);
    expect(Object.keys(record)).toEqual(expect.arrayContaining(['revokedAt', 'revocation']));
    expect([registry.status, conformance('province-registry', 200, await registry.json())]).toEqual([
      200,
      [],
    ]);
    const audit = (await audited.json()) as { audit: { result: string } };
    expect([audited.status, audit.audit.result, conformance('province-registry', 200, audit)]).toEqual([
      200,
      'consistent',
      [],
    ]);
  });

  it('the exchange answers what its schemas say: publish, revoke key, code revocations, suspend', async () => {
    const key = await generateSigningKey('ES256');
    const t = now();
    const published = await fetch(
      `${fed.state.exchangeUrl}/v1/provinces/${fj.region}/keys`,
      jose(
        await signedAs(fed, fj, {
          op: 'key.publish',
          key: key.publicJwk,
          alg: 'ES256',
          notBefore: t,
          notAfter: t + 86_400,
        }),
      ),
    );
    const publishedBody = (await published.json()) as { kid: string };
    const revokedKey = await fetch(
      `${fed.state.exchangeUrl}/v1/provinces/${fj.region}/keys/${publishedBody.kid}/revoke`,
      jose(
        await signedAs(fed, fj, {
          op: 'key.revoke',
          kid: publishedBody.kid,
          reason: 'retired',
          revokedAt: t,
        }),
      ),
    );
    const codes = await fetch(
      `${fed.state.exchangeUrl}/v1/provinces/${fj.region}/code-revocations`,
      jose(
        await signedAs(fed, fj, {
          op: 'code.revoke',
          codes: [{ jti: encodeB64url(randomBytes(16)), exp: t + 3600 }],
        }),
      ),
    );
    const suspended = await fetch(`${fed.state.exchangeUrl}/v1/provinces/${fj.region}/suspend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fed.state.operatorToken}` },
    });

    expect([published.status, conformance('exchange-publish-key', 201, publishedBody)]).toEqual([201, []]);
    expect([revokedKey.status, conformance('exchange-revoke-key', 200, await revokedKey.json())]).toEqual([
      200,
      [],
    ]);
    expect([codes.status, conformance('exchange-revoke-codes', 200, await codes.json())]).toEqual([200, []]);
    expect([suspended.status, conformance('exchange-suspend-province', 200, await suspended.json())]).toEqual(
      [200, []],
    );
  });

  it('the conformance check is not vacuous: a wrong body fails it', () => {
    expect(conformance('province-registry', 200, { version: 'one' })).not.toEqual([]);
    expect(
      conformance('exchange-suspend-province', 200, { region: '330000', status: 'active', version: 1 }),
    ).not.toEqual([]);
  });
});

describe('routing', () => {
  it('never takes a literal segment for a parameter: GET and PUT /v1/codes/verify are 405 Allow: POST', async () => {
    const asGet = await fetch(`${zj.url}/v1/codes/verify`, { headers: asInternal(zj) });
    const asPut = await fetch(`${zj.url}/v1/codes/verify`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });

    expect([
      asGet.status,
      asGet.headers.get('allow'),
      ((await asGet.json()) as { code: string }).code,
    ]).toEqual([405, 'POST', 'METHOD_NOT_ALLOWED']);
    expect([asPut.status, asPut.headers.get('allow')]).toEqual([405, 'POST']);
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('serves the federation keys as a plain JWKS that a standard client (jose) verifies a trust list with', async () => {
    const res = await fetch(`${fed.state.exchangeUrl}/.well-known/jwks.json`);
    const body = (await res.json()) as { keys: { kid: string }[] };
    const jwks = createRemoteJWKSet(new URL(`${fed.state.exchangeUrl}/.well-known/jwks.json`));
    const list = await (await fetch(`${fed.state.exchangeUrl}/v1/trust-list`)).text();

    const { protectedHeader } = await compactVerify(list, jwks);

    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/jwk-set+json']);
    expect(body).toEqual(fed.state.federationJwks);
    expect(protectedHeader.kid).toBe(body.keys[0].kid);
  });
});
