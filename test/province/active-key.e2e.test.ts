/**
 * Rotation step 3 as a route (`POST /v1/issuer-keys/{kid}/activate`), the same in both runtimes:
 * over the embedded runtime's HTTP API, and over a province table (dynalite) for the key the node
 * holds but the trust list does not carry yet.
 */
import { parseCompactJws } from '../../functions/core/jws/compact';
import { CODE_PREFIX, CODE_PROFILE } from '../../functions/core/profiles';
import type { Federation } from '../../functions/embedded/federation';
import { create } from '../../functions/province/handlers/set-active-key';
import { HOLDER, issueAt, startTestFederation, type ProvinceState } from '../kit/federation';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { dynaliteTables, type DynaliteTables } from '../kit';
import { call, federationKey, localSigner, provinceDeps, ZJ } from './fixtures';

let fed: Federation;
let zj: ProvinceState;
let db: DynaliteTables;

beforeAll(async () => {
  [fed, db] = await Promise.all([startTestFederation(), dynaliteTables([PROVINCE_TABLE])]);
  zj = fed.state.provinces[0];
}, 60_000);
afterAll(async () => {
  await Promise.all([fed?.close(), db?.close()]);
});

function activate(kid: string, token: string | undefined = zj.internalToken): Promise<Response> {
  return fetch(`${zj.url}/v1/issuer-keys/${kid}/activate`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/**
 * The kid the node signs with now: the header of a code it issues names the key by its short kid
 * (HCX2), which the province's JWKS at the exchange maps to exactly one full kid.
 */
async function currentKid(): Promise<string> {
  const res = await issueAt(zj, { holder: HOLDER, status: 'green' });
  const { code } = (await res.json()) as { code: string };
  const short = String(parseCompactJws(code.slice(CODE_PREFIX.length), CODE_PROFILE).kid);
  const jwks = (await (
    await fetch(`${fed.state.exchangeUrl}/v1/provinces/${zj.region}/jwks.json`)
  ).json()) as {
    keys: { kid: string }[];
  };
  const full = jwks.keys.filter((k) => k.kid.startsWith(short));
  expect(full).toHaveLength(1);
  return full[0].kid;
}

describe('POST /v1/issuer-keys/{kid}/activate', () => {
  it('switches the node to a held key the trust list carries as active', async () => {
    const kid = await currentKid();
    const res = await activate(kid);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ kid, activeSince: expect.any(Number) });
  });

  it('refuses a kid the node holds no key for as ISSUER_KEY_NOT_HELD', async () => {
    const other = await localSigner();
    const res = await activate(other.kid);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('ISSUER_KEY_NOT_HELD');
  });

  it('refuses a caller without the internal identity', async () => {
    const kid = await currentKid();
    expect((await activate(kid, '')).status).toBe(401);
  });

  it('refuses a held key the trust list does not carry yet as KEY_NOT_VISIBLE, and keeps the active kid', async () => {
    // prepare: a node holding two keys, with no replica yet
    const [first, second] = [await localSigner(), await localSigner()];
    const deps = provinceDeps({
      region: ZJ,
      federationJwks: (await federationKey()).jwks,
      client: db.client,
      tableName: db.tableName,
      issuerSigners: [first, second],
    });

    // act
    const res = await call(create(deps), {
      method: 'POST',
      path: `/v1/issuer-keys/${second.kid}/activate`,
      pathParameters: { kid: second.kid },
    });

    // assert
    expect([res.statusCode, res.json().code]).toEqual([409, 'KEY_NOT_VISIBLE']);
    expect(await deps.repository.getActiveKid()).toBeUndefined();
  });
});
