/** The federation end to end over real HTTP: embedded engine, the very same handlers, three provinces. */
import { codeFromQrText } from '../../functions/core/code/format';
import { decodeQrSvg } from '../kit/qr';
import {
  HOLDER,
  issueAt,
  now,
  signedAs,
  startTestFederation,
  verifyAt,
  type ProvinceState,
} from '../kit/federation';
import type { Federation } from '../../functions/embedded/federation';

describe('the federation over HTTP', () => {
  let fed: Federation;
  let zj: ProvinceState;
  let gd: ProvinceState;
  let fj: ProvinceState;

  beforeAll(async () => {
    fed = await startTestFederation();
    [zj, gd, fj] = fed.state.provinces;
  }, 120_000);
  afterAll(() => fed?.close());

  const issue = async (p: ProvinceState, status = 'green') => {
    const res = await issueAt(p, { holder: HOLDER, status });
    expect(res.status).toBe(201);
    return (await res.json()) as { code: string; codeId: string; expiresAt: string; qr: string };
  };

  it('issues a code at Zhejiang that Guangdong verifies as valid and green', async () => {
    const issued = await issue(zj);

    const result = await verifyAt(gd, issued.code);

    expect(result.result).toBe('valid');
    expect(result.status).toBe('green');
    expect(result.issuer).toEqual({ region: zj.region, name: expect.any(String) });
    expect(result.codeId).toBe(issued.codeId);
  });

  it('checks the holder binding when the traveller shows the ID document', async () => {
    const issued = await issue(zj);
    const good = await verifyAt(gd, issued.code, { idType: '10', idNumber: HOLDER.idNumber });
    const bad = await verifyAt(gd, issued.code, { idType: '10', idNumber: '110105194912310038' });
    expect(good.result).toBe('valid');
    expect(bad.reasons.map((r) => r.code)).toEqual(['HOLDER_MISMATCH']);
  });

  it('answers invalid for a tampered code', async () => {
    const issued = await issue(zj, 'red');
    const [h, p, s] = issued.code.slice(5).split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const tampered = `HCX2:${h}.${Buffer.from(JSON.stringify({ ...claims, st: 'green' })).toString('base64url')}.${s}`;

    const result = await verifyAt(gd, tampered);

    expect(result.result).toBe('invalid');
    expect(result.reasons.map((r) => r.code)).toEqual(['SIGNATURE_INVALID']);
  });

  it('returns a QR image in numeric QR form that reads back to the same code and verifies as scanned', async () => {
    const issued = await issue(zj);
    expect(issued.qr.startsWith('<svg')).toBe(true);
    const scanned = decodeQrSvg(issued.qr) as string;
    expect(scanned).toMatch(/^HCX2:[0-9]+$/);
    expect(codeFromQrText(scanned)).toBe(issued.code);
    expect((await verifyAt(gd, scanned)).result).toBe('valid');
  });

  it("rejects a code revoked by its issuer after the verifier's next sync, in one sync cycle", async () => {
    const issued = await issue(zj);
    expect((await verifyAt(gd, issued.code)).result).toBe('valid');

    const revoke = await fetch(`${zj.url}/v1/codes/${issued.codeId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${zj.internalToken}` },
    });
    expect(revoke.status).toBe(200);
    let cycles = 0;
    let result = await verifyAt(gd, issued.code);
    while (result.result === 'valid' && cycles < 5) {
      await fed.runScheduled();
      cycles++;
      result = await verifyAt(gd, issued.code);
    }

    expect(result.reasons.map((r) => r.code)).toEqual(['CODE_REVOKED']);
    expect(cycles).toBe(1);
  });

  it('rejects every code of a key revoked as compromised once the verifier has synced', async () => {
    const issued = await issue(fj);
    const jwks = (await (
      await fetch(`${fed.state.exchangeUrl}/v1/provinces/${fj.region}/jwks.json`)
    ).json()) as { keys: { kid: string }[] };
    const kid = jwks.keys[0].kid;
    const body = await signedAs(fed, fj, { op: 'key.revoke', kid, reason: 'compromised', revokedAt: now() });

    const res = await fetch(`${fed.state.exchangeUrl}/v1/provinces/${fj.region}/keys/${kid}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body,
    });
    expect(res.status).toBe(200);
    await fed.runScheduled();

    const result = await verifyAt(gd, issued.code);
    expect(result.result).toBe('invalid');
    expect(result.reasons.map((r) => r.code)).toEqual(['KEY_REVOKED']);
  });

  it('serves its OpenAPI document', async () => {
    const doc = (await (await fetch(`${fed.state.exchangeUrl}/openapi.json`)).json()) as {
      openapi: string;
      paths: object;
    };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths)).toContain('/v1/trust-list');
  });

  // Last: it stops the exchange for the rest of the suite.
  it('keeps verifying from the last snapshot when the exchange is down', async () => {
    const issued = await issue(zj);
    await fed.stopExchange();

    await fed.runScheduled();
    const result = await verifyAt(gd, issued.code);
    const registry = (await (
      await fetch(`${gd.url}/v1/registry`, { headers: { authorization: `Bearer ${gd.internalToken}` } })
    ).json()) as { lastSync: { result: string } };

    expect(result.result).toBe('valid');
    expect(registry.lastSync.result).not.toBe('ok');
  });
});
