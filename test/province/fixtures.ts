/** Shared fixtures of the province tests: tables, nodes, a federation key, signed lists, a scripted exchange. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { generateSigningKey } from '../../functions/core/keys';
import { signCompactJws } from '../../functions/core/jws/sign';
import { TRUST_LIST_DELTA_PROFILE, TRUST_LIST_PROFILE } from '../../functions/core/profiles';
import type { Jwks, TrustList, TrustListDelta } from '../../functions/core/schemas/types.gen';
import { LocalKeySigner, type Signer } from '../../functions/core/signer';
import { createProvinceDeps, type ProvinceDeps, type ProvinceDepsInput } from '../../functions/province/deps';
import type { FetchLike } from '../../functions/province/exchange-client';
import { apiEvent, lambdaContext, type ApiEventInput } from '../kit';
import { FEDERATION, HOLDER_NAME, ID_NUMBER } from '../kit/domain';
import { selfAuthenticated } from '../kit/province-proof';

export { FEDERATION, GD, HOLDER_NAME, ID_NUMBER, ZJ } from '../kit/domain';

export const issueBody = (over: Record<string, unknown> = {}) => ({
  holder: { name: HOLDER_NAME, idType: '10', idNumber: ID_NUMBER },
  status: 'green',
  ...over,
});

/** A local signing key as a signer. */
export async function localSigner(): Promise<Signer> {
  return LocalKeySigner.fromPrivateJwk((await generateSigningKey('ES256')).privateJwk);
}

/** The federation key: signs lists; its JWKS is what nodes get from configuration. */
export async function federationKey(): Promise<{ signer: Signer; jwks: Jwks }> {
  const signer = await localSigner();
  return {
    signer,
    jwks: { keys: [{ ...signer.publicJwk, kid: signer.kid, alg: signer.alg, use: 'sig' }] } as Jwks,
  };
}

export const signList = (signer: Signer, list: TrustList) =>
  signCompactJws(signer, TRUST_LIST_PROFILE.typ, list);
export const signDeltaJws = (signer: Signer, delta: TrustListDelta) =>
  signCompactJws(signer, TRUST_LIST_DELTA_PROFILE.typ, delta);

/** A trust list naming `provinces` with their signers' keys. */
export function listOf(
  provinces: { region: string; signer: Signer; name?: string }[],
  over: Partial<TrustList> & { now: number },
): TrustList {
  const { now, ...rest } = over;
  return selfAuthenticated({
    federation: FEDERATION,
    version: 5,
    issuedAt: now - 10,
    expiresAt: now + 86_400,
    logHead: 'A'.repeat(43),
    provinces: provinces.map((p) => ({
      region: p.region,
      name: p.name ?? `Province ${p.region}`,
      status: 'active',
      keys: [
        {
          kid: p.signer.kid,
          alg: 'ES256',
          jwk: { ...p.signer.publicJwk },
          notBefore: now - 86_400,
          notAfter: now + 300 * 86_400,
          status: 'active',
        },
      ],
    })),
    codeRevocations: [],
    ...rest,
  } as TrustList);
}

/** A settable clock in NumericDate seconds. */
export function clock(start: number) {
  let t = start;
  return {
    now: () => t,
    set: (v: number) => {
      t = v;
    },
    advance: (s: number) => {
      t += s;
    },
  };
}

/** Province deps over a table, with sensible test defaults (no caching delays). */
export function provinceDeps(
  input: Partial<ProvinceDepsInput> & Pick<ProvinceDepsInput, 'region' | 'federationJwks'>,
): ProvinceDeps {
  return createProvinceDeps({
    federationId: FEDERATION,
    exchangeUrl: 'http://exchange.test',
    registryCheckMs: 0,
    activeKeyCacheMs: 0,
    ...input,
  });
}

/** Call a Lambda HTTP handler with a payload 2.0 event built from `input`. */
export async function call(
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>,
  input: ApiEventInput,
): Promise<{
  statusCode: number;
  headers: Record<string, string>;
  body?: string; // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test responses are read loosely
  json: () => any;
}> {
  const response = (await handler(apiEvent(input), lambdaContext())) as {
    statusCode: number;
    headers: Record<string, string>;
    body?: string;
  };
  return { ...response, json: () => JSON.parse(response.body ?? 'null') };
}

/** A scripted exchange for unit tests: answers `GET /v1/trust-list` from a function; records signed posts. */
export function fakeExchange(
  answer: (since: number | undefined) => { status: number; body: string } | 'down',
) {
  const posts: { path: string; body: string }[] = [];
  let postAnswer: () => { status: number; body: string; contentType?: string } | 'down' = () => ({
    status: 200,
    body: '{}',
  });
  const gets: (number | undefined)[] = [];
  const fetchImpl: FetchLike = async (url, init = {}) => {
    const u = new URL(url);
    if ((init.method ?? 'GET') === 'POST') {
      const a = postAnswer();
      if (a === 'down') throw new TypeError('fetch failed');
      posts.push({ path: u.pathname, body: String(init.body) });
      return new Response(a.body, {
        status: a.status,
        headers: { 'content-type': a.contentType ?? 'application/json' },
      });
    }
    const since = u.searchParams.get('since');
    gets.push(since === null ? undefined : Number(since));
    const a = answer(since === null ? undefined : Number(since));
    if (a === 'down') throw new TypeError('fetch failed');
    return new Response(a.body, { status: a.status, headers: { 'content-type': 'application/jose' } });
  };
  return {
    fetch: fetchImpl,
    posts,
    gets,
    answerPosts: (f: typeof postAnswer) => {
      postAnswer = f;
    },
  };
}
