/**
 * A province on SM2 beside provinces on ES256 (`--provinces 330000:SM2,440000`), end to end over
 * HTTP: each verifies the other's codes, the SM2 province's signed requests (SM2 enrollment key)
 * are accepted by the exchange, and the CLI verifies both offline against the saved trust list.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustListFetch } from '../../functions/cli/commands/trust-list';
import { verify } from '../../functions/cli/commands/verify';
import { EXIT } from '../../functions/cli/errors';
import type { Federation } from '../../functions/embedded/federation';
import { HOLDER, issueAt, startTestFederation, verifyAt, type ProvinceState } from '../kit/federation';

describe('an SM2 province beside an ES256 province', () => {
  let fed: Federation;
  let zj: ProvinceState; // SM2
  let gd: ProvinceState; // ES256
  let dir: string;

  beforeAll(async () => {
    fed = await startTestFederation(['330000:SM2', '440000']);
    [zj, gd] = fed.state.provinces;
    dir = mkdtempSync(join(tmpdir(), 'hcx-sm2-'));
  }, 120_000);
  afterAll(async () => {
    await fed?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const issue = async (p: ProvinceState) => {
    const res = await issueAt(p, { holder: HOLDER, status: 'green' });
    expect(res.status).toBe(201);
    return (await res.json()) as { code: string; codeId: string };
  };
  const algOf = (code: string) =>
    (JSON.parse(Buffer.from(code.slice(5).split('.')[0], 'base64url').toString('utf8')) as { alg: string })
      .alg;

  it('publishes the SM2 province key as kty EC, crv SM2, alg SM2', async () => {
    const jwks = (await (
      await fetch(`${fed.state.exchangeUrl}/v1/provinces/${zj.region}/jwks.json`)
    ).json()) as {
      keys: { kty: string; crv: string; alg?: string }[];
    };
    expect(jwks.keys.map((k) => [k.kty, k.crv, k.alg])).toEqual([['EC', 'SM2', 'SM2']]);
  });

  it('an SM2 code issued at Zhejiang is valid at Guangdong (ES256) and at Zhejiang', async () => {
    const issued = await issue(zj);
    expect(algOf(issued.code)).toBe('SM2');
    for (const at of [gd, zj]) {
      const result = await verifyAt(at, issued.code, { idType: '10', idNumber: HOLDER.idNumber });
      expect(result.result).toBe('valid');
      expect(result.issuer).toEqual({ region: zj.region, name: expect.any(String) });
    }
  });

  it('an ES256 code issued at Guangdong is valid at Zhejiang (SM2)', async () => {
    const issued = await issue(gd);
    expect(algOf(issued.code)).toBe('ES256');
    expect((await verifyAt(zj, issued.code)).result).toBe('valid');
  });

  it('a tampered SM2 code is invalid with SIGNATURE_INVALID', async () => {
    const issued = await issue(zj);
    const [h, p, s] = issued.code.slice(5).split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const tampered = `HCX2:${h}.${Buffer.from(JSON.stringify({ ...claims, st: 'red' })).toString('base64url')}.${s}`;
    const result = await verifyAt(gd, tampered);
    expect(result.result).toBe('invalid');
    expect(result.reasons.map((r) => r.code)).toEqual(['SIGNATURE_INVALID']);
  });

  let revokedCode: string;
  it('the SM2 province revokes a code through a request signed with its SM2 enrollment key', async () => {
    const issued = await issue(zj);
    revokedCode = issued.code;
    const revoke = await fetch(`${zj.url}/v1/codes/${issued.codeId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${zj.internalToken}` },
    });
    expect(revoke.status).toBe(200);
    await fed.runScheduled();
    const result = await verifyAt(gd, issued.code);
    expect(result.reasons.map((r) => r.code)).toEqual(['CODE_REVOKED']);
  });

  it('the CLI verifies SM2 and ES256 codes offline against the saved trust list', async () => {
    const trustList = join(dir, 'trust-list.jws');
    const federationJwks = join(dir, 'federation.jwks.json');
    writeFileSync(federationJwks, JSON.stringify(fed.state.federationJwks));
    // The list carries the status segment of the code revoked above; fetch saves its batch too.
    expect(
      (await trustListFetch({ exchange: fed.state.exchangeUrl, federationJwks, out: trustList })).exitCode,
    ).toBe(EXIT.OK);
    const revoked = await verify({ code: revokedCode, offline: true, trustList, federationJwks });
    expect(revoked.data.reasons.map((r) => r.code)).toEqual(['CODE_REVOKED']);
    for (const p of [zj, gd]) {
      const issued = await issue(p);
      const result = await verify({ code: issued.code, offline: true, trustList, federationJwks });
      expect(result.exitCode).toBe(EXIT.OK);
      expect(result.data).toMatchObject({ result: 'valid', issuer: { region: p.region } });
    }
  });
});
