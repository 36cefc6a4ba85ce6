/**
 * Fuzzing (fast-check), bounded so the file stays well under a minute:
 * - at the HTTP boundary of the running federation: random methods, paths, content types, headers
 *   and bodies against every route never get a 5xx, always a problem+json refusal or a success of
 *   the declared type; mutations of real codes and random JWS-like strings never verify as valid;
 * - at the core: verifyCode, openTrustList, applyDelta, verifySignedRequest and parseStrictJson
 *   never throw anything but their documented error classes, and never accept altered input.
 */
import fc from 'fast-check';
import { verifyCode } from '../../functions/core/code/verify';
import {
  AuthenticationFailed,
  KeyRejected,
  RequestInvalid,
  TrustListRejected,
} from '../../functions/core/errors';
import { JsonRejected, parseStrictJson } from '../../functions/core/json';
import { buildSnapshot, type RegistrySnapshot } from '../../functions/core/registry';
import type { TrustList, TrustListDelta } from '../../functions/core/schemas/types.gen';
import { verifySignedRequest, type EnrollmentKey } from '../../functions/core/signed-request';
import { applyDelta, federationKeys, openTrustList } from '../../functions/core/trustlist/trust-list';
import { ROUTES } from '../../functions/routes';
import {
  b64,
  issue,
  now,
  post,
  postSigned,
  request,
  signedRequest,
  startSecurityFederation,
  type Issued,
  type SecurityFederation,
} from './helpers';
import { thrown } from '../kit';

let s: SecurityFederation;
let codes: Issued[];
let listJws: string;
let oldList: TrustList;
let delta: TrustListDelta;
let snapshot: RegistrySnapshot;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const payloadOf = <T>(jws: string): T =>
  JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as T;

beforeAll(async () => {
  s = await startSecurityFederation();
  codes = await Promise.all([issue(s.zj), issue(s.gd), issue(s.fj, { status: 'red' })]);
  const ex = s.fed.state.exchangeUrl;
  oldList = payloadOf<TrustList>((await request(`${ex}/v1/trust-list`)).text);
  // two entries after the old list, so deltas have a chain to attack
  for (const c of codes.slice(0, 2)) {
    const region = payloadOf<{ iss: string }>(c.code.slice(5)).iss;
    const jws = await signedRequest(s.enrollment[region], s.fed.state.federationId, region, {
      op: 'code.revoke',
      codes: [{ jti: c.codeId, exp: now() + 3600 }],
    });
    expect((await postSigned(ex, `/v1/provinces/${region}/code-revocations`, jws)).status).toBe(200);
  }
  listJws = (await request(`${ex}/v1/trust-list`)).text;
  delta = payloadOf<TrustListDelta>((await request(`${ex}/v1/trust-list?since=${oldList.version}`)).text);
  expect(delta.entries.length).toBe(2);
  snapshot = await buildSnapshot(payloadOf<TrustList>(listJws));
}, 60_000);
afterAll(() => s?.fed.close());

/** One random edit of a string: replace, insert or delete a character, or swap two segments. */
const mutation = (length: number) =>
  fc.oneof(
    fc.record({
      kind: fc.constant('replace' as const),
      at: fc.nat({ max: length - 1 }),
      ch: fc.integer({ min: 0x20, max: 0x7e }),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat({ max: length }),
      ch: fc.constantFrom(...B64URL, '.', '=', ' ', '\n', '+', '/'),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat({ max: length - 1 }) }),
    fc.record({ kind: fc.constant('swap' as const), a: fc.nat({ max: 2 }), b: fc.nat({ max: 2 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: length - 1 }) }),
  );
type Mutation = typeof mutation extends (n: number) => fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation, prefix = ''): string {
  const body = text.slice(prefix.length);
  switch (m.kind) {
    case 'replace':
      return prefix + body.slice(0, m.at) + String.fromCharCode(m.ch) + body.slice(m.at + 1);
    case 'insert':
      return prefix + body.slice(0, m.at) + m.ch + body.slice(m.at);
    case 'delete':
      return prefix + body.slice(0, m.at) + body.slice(m.at + 1);
    case 'truncate':
      return prefix + body.slice(0, m.at);
    case 'swap': {
      const parts = body.split('.');
      [parts[m.a], parts[m.b]] = [parts[m.b], parts[m.a]];
      return prefix + parts.join('.');
    }
  }
}

/** A random JWS-like string: three base64url segments, the header sometimes plausible. */
const jwsLike = fc
  .tuple(
    fc.oneof(
      fc.record({
        alg: fc.constantFrom('ES256', 'EdDSA', 'none', 'HS256', 'RS256'),
        kid: fc.oneof(
          fc.string({ minLength: 43, maxLength: 43, unit: fc.constantFrom(...B64URL) }),
          fc.string({ minLength: 11, maxLength: 11, unit: fc.constantFrom(...B64URL) }),
          fc.string(),
        ),
        typ: fc.constantFrom('hcx2', 'hcx-code+jws', 'hcx-trust-list+jws', 'hcx-request+jws', 'JWT'),
      }),
      fc.jsonValue(),
    ),
    fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('v', 'iss', 'jti', 'iat', 'exp', 'st', 'hn', 'hb', 'idt'),
        fc.jsonValue(),
      ),
    ),
    fc.uint8Array({ minLength: 0, maxLength: 80 }),
  )
  .map(
    ([h, p, sig]) => `${b64(JSON.stringify(h) ?? 'null')}.${b64(JSON.stringify(p) ?? 'null')}.${b64(sig)}`,
  );

describe('the HTTP boundary', () => {
  const templates = [...new Set(ROUTES.map((r) => `${r.service} ${r.path}`))];
  const segment = fc.oneof(
    fc.constantFrom(
      '330000',
      '440000',
      '110000',
      '000000',
      'verify',
      '..',
      '%2e%2e',
      '%00',
      '%E0%A4%A',
      '%',
      'A'.repeat(300),
    ),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
  );
  const path = fc.oneof(
    fc
      .tuple(fc.constantFrom(...templates), fc.array(segment, { minLength: 4, maxLength: 4 }))
      .map(([t, params]) => {
        let i = 0;
        const [service, p] = t.split(' ');
        return { service, path: p.replace(/\{[^}]+\}/g, () => params[i++]) };
      }),
    fc
      .tuple(fc.constantFrom('exchange', 'province'), fc.array(segment, { maxLength: 5 }))
      .map(([service, parts]) => ({
        service,
        path: `/${parts.join('/')}`,
      })),
  );
  const query = fc.oneof(
    fc.constant(''),
    fc.constantFrom(
      '?since=0',
      '?since=-1',
      '?since=1e3',
      '?since=99999999999999',
      '?limit=0',
      '?limit=1001',
      '?since=1&since=2',
    ),
    fc.string({ maxLength: 30 }).map((q) => `?${encodeURIComponent(q)}=${encodeURIComponent(q)}`),
  );
  const contentType = fc.oneof(
    fc.constantFrom(
      undefined,
      'application/json',
      'application/jose',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=--x',
      'application/problem+json',
      '',
    ),
    fc.string({
      maxLength: 40,
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    }),
  );
  const body = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    jwsLike,
    fc.constantFrom(
      '{"code":"HCX2:a.b.c","code":"x"}',
      '{"__proto__":{"x":1}}',
      `{"a":${'['.repeat(100)}${']'.repeat(100)}}`,
    ),
  );
  const auth = fc.constantFrom('none', 'internal', 'operator', 'garbage');

  it('never answers 5xx, and answers every request with problem details or a success of the declared type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'),
        path,
        query,
        contentType,
        body,
        auth,
        async (method, target, q, type, payload, who) => {
          const province = s.zj;
          const base = target.service === 'exchange' ? s.fed.state.exchangeUrl : province.url;
          // The fuzzed node is Zhejiang's. An operator act that ends its service or the federation's
          // (suspending 330000, `POST /v1/federation/sunset`: no body needed) changes the state
          // under test, after which the node honestly answers 502 EXCHANGE_REFUSED to a route that
          // needs the exchange (its upstream refused it: no client mistake). So operator requests
          // name Guangdong instead, and the federation's sunset is fuzzed without the operator token.
          if (target.service === 'exchange' && who === 'operator') {
            if (target.path === '/v1/federation/sunset') who = 'none';
            else target = { ...target, path: target.path.replace(/\/330000(?=\/|$)/g, '/440000') };
          }
          const headers: Record<string, string> = {};
          if (type !== undefined) headers['content-type'] = type;
          if (who === 'internal') headers.authorization = `Bearer ${province.internalToken}`;
          if (who === 'operator') headers.authorization = `Bearer ${s.fed.state.operatorToken}`;
          if (who === 'garbage') headers.authorization = 'Bearer ../../etc/passwd';
          const withBody = payload !== undefined && !['GET', 'OPTIONS'].includes(method);
          const res = await request(`${base}${target.path}${q}`, {
            method,
            headers,
            ...(withBody ? { body: payload } : {}),
          });

          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get('content-type')).toBe('application/problem+json');
            expect(res.json.code).toEqual(expect.stringMatching(/^[A-Z_]{3,40}$/));
            expect(res.text).not.toMatch(/\bat .+:\d+:\d+|hcx-exchange|hcx-province-|arn:aws/);
          } else if (res.status !== 204 && res.status !== 304) {
            expect(res.headers.get('content-type')).toMatch(/^application\/(json|jose|jwk-set\+json)/);
            if (/json/.test(res.headers.get('content-type') ?? ''))
              expect(() => JSON.parse(res.text)).not.toThrow();
          }
        },
      ),
      { numRuns: 400 },
    );
  }, 60_000);

  it('never verifies as valid a mutation of a real code, over HTTP', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: codes.length - 1 }),
        fc.nat(),
        mutation(600),
        async (which, _seed, m) => {
          const original = codes[which].code;
          const mutated = mutate(original, m, 'HCX2:');
          fc.pre(mutated !== original);
          const res = await post(`${s.gd.url}/v1/codes/verify`, JSON.stringify({ code: mutated }));
          if (res.status === 400) return; // not a verify request at all (e.g. empty or over 2 KB)
          expect(res.status).toBe(200);
          expect(res.json.result).not.toBe('valid');
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);

  it('never verifies as valid a random JWS-like string, over HTTP', async () => {
    await fc.assert(
      fc.asyncProperty(jwsLike, fc.boolean(), async (jws, prefixed) => {
        const res = await post(
          `${s.fj.url}/v1/codes/verify`,
          JSON.stringify({ code: prefixed ? `HCX2:${jws}` : jws }),
        );
        expect(res.status).toBeLessThan(500);
        if (res.status === 200) expect(res.json.result).not.toBe('valid');
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});

describe('the core', () => {
  it('verifyCode never throws and never answers valid for anything but the codes issued', async () => {
    const issued = new Set(codes.map((c) => c.code));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .tuple(fc.nat({ max: codes.length - 1 }), mutation(600))
            .map(([i, m]) => mutate(codes[i].code, m, 'HCX2:')),
          jwsLike.map((j) => `HCX2:${j}`),
          fc.anything(),
        ),
        async (input) => {
          const result = await verifyCode(input, snapshot);
          if (typeof input === 'string' && issued.has(input)) return;
          expect(result.result).not.toBe('valid');
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('openTrustList throws only TrustListRejected and never opens an altered list', async () => {
    const keys = federationKeys(s.fed.state.federationJwks, s.fed.state.federationId);
    expect((await openTrustList(listJws, keys, { now: now() })).version).toBe(
      payloadOf<TrustList>(listJws).version,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutation(listJws.length).map((m) => mutate(listJws, m)),
          jwsLike,
          fc.anything(),
        ),
        async (input) => {
          fc.pre(input !== listJws);
          const outcome = await openTrustList(input, keys, { now: now() }).then(
            () => 'opened',
            (e: unknown) => e,
          );
          expect(outcome).toBeInstanceOf(TrustListRejected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('applyDelta refuses as SCHEMA_INVALID a delta whose version is not a number (found by the property below)', () => {
    // prepare: fast-check's counterexample, seed 408483827: comparing it with `<` threw a TypeError
    const altered = { ...delta, version: { toString: [] } } as unknown as TrustListDelta;

    // act
    const refusal = thrown(() => applyDelta(oldList, altered, { now: now() }));

    // assert
    expect(refusal).toBeInstanceOf(TrustListRejected);
    expect((refusal as TrustListRejected).reason).toBe('SCHEMA_INVALID');
  });

  it('applyDelta throws only TrustListRejected and never applies a delta altered in its chain', () => {
    expect(applyDelta(oldList, delta, { now: now() }).logHead).toBe(delta.logHead);
    const fields = ['seq', 'at', 'type', 'region', 'data', 'prev', 'hash'] as const;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({
            entry: fc.nat({ max: delta.entries.length - 1 }),
            field: fc.constantFrom(...fields),
            value: fc.jsonValue(),
          }),
          fc.record({
            entry: fc.constant(-1),
            field: fc.constantFrom('fromVersion', 'version', 'logHead', 'federation'),
            value: fc.jsonValue(),
          }),
          fc.record({
            entry: fc.constant(-2),
            field: fc.constant('drop'),
            value: fc.nat({ max: delta.entries.length - 1 }),
          }),
        ),
        ({ entry, field, value }) => {
          let altered: TrustListDelta;
          if (entry === -2) altered = { ...delta, entries: delta.entries.filter((_, i) => i !== value) };
          else if (entry === -1) {
            fc.pre(JSON.stringify(value) !== JSON.stringify(delta[field as keyof TrustListDelta]));
            altered = { ...delta, [field]: value } as TrustListDelta;
          } else {
            const original = delta.entries[entry] as unknown as Record<string, unknown>;
            fc.pre(JSON.stringify(value) !== JSON.stringify(original[field]));
            const entries = delta.entries.map((e, i) => (i === entry ? { ...e, [field]: value } : e));
            altered = { ...delta, entries } as TrustListDelta;
          }
          expect(() => applyDelta(oldList, altered, { now: now() })).toThrow(TrustListRejected);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('verifySignedRequest throws only its documented errors and never authenticates an altered request', async () => {
    const region = s.zj.region;
    const signer = s.enrollment[region];
    const enrollment: EnrollmentKey = {
      kid: signer.kid,
      alg: signer.alg,
      jwk: signer.publicJwk,
      status: 'active',
    };
    const options = (t: number) => ({
      federationId: s.fed.state.federationId,
      op: 'code.revoke' as const,
      pathRegion: region,
      now: t,
      enrollmentKeyFor: (r: string) => (r === region ? enrollment : undefined),
      consumeNonce: async () => true,
    });
    const genuine = await signedRequest(signer, s.fed.state.federationId, region, {
      op: 'code.revoke',
      codes: [{ jti: codes[0].codeId, exp: now() + 3600 }],
    });
    const t = now();
    expect((await verifySignedRequest(genuine, options(t))).payload.region).toBe(region);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutation(genuine.length).map((m) => mutate(genuine, m)),
          jwsLike,
          fc.anything(),
        ),
        async (input) => {
          fc.pre(input !== genuine);
          const outcome = await verifySignedRequest(input, options(t)).then(
            () => 'authenticated',
            (e: unknown) => e,
          );
          expect([AuthenticationFailed, KeyRejected, RequestInvalid].some((c) => outcome instanceof c)).toBe(
            true,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parseStrictJson throws only JsonRejected, and agrees with JSON.parse on every text it accepts', () => {
    const texts = fc.oneof(
      fc.json({ maxDepth: 20 }),
      fc.string({ maxLength: 200 }),
      fc
        .tuple(fc.string({ maxLength: 8 }), fc.jsonValue(), fc.jsonValue())
        .map(
          ([k, a, b]) =>
            `{${JSON.stringify(k)}:${JSON.stringify(a)},${JSON.stringify(k)}:${JSON.stringify(b)}}`,
        ),
      fc.nat({ max: 200 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
      fc.constantFrom('{"__proto__":1}', '{"constructor":{}}', '"\\ud800"', '1e999', '-0', '01', '{"a":1,}'),
    );
    fc.assert(
      fc.property(texts, (text) => {
        let value: unknown;
        try {
          value = parseStrictJson(text);
        } catch (e) {
          expect(e).toBeInstanceOf(JsonRejected);
          return;
        }
        expect(value).toEqual(JSON.parse(text));
      }),
      { numRuns: 3000 },
    );
  });
});
