/**
 * A federation whose provinces issue HCX1 codes (`codeFormat` HCX1: `npm start --code-format HCX1`
 * or `HCX_CODE_FORMAT=HCX1`, the deployed `CODE_FORMAT`), end to end on the embedded runtime: an
 * HCX1 code issued in Zhejiang verifies at Guangdong's node (holder check with scrypt-v1 included),
 * is revoked by id through the exchange (`code.revoke`: HCX1 codes have no status index) and is
 * then CODE_REVOKED at Guangdong; `hcx issue` prints it and writes its QR, `hcx verify` reads both.
 */
import { issue as cliIssue } from '../../functions/cli/commands/issue';
import { verify as cliVerify } from '../../functions/cli/commands/verify';
import { trustListFetch } from '../../functions/cli/commands/trust-list';
import { SCHEMA_IDS } from '../../functions/core/schemas/validators';
import { assertValidAgainst } from '../../functions/core/schemas/validators-by-id';
import type { TrustList } from '../../functions/core/schemas/types.gen';
import { tempDir } from '../cli/fixtures';
import {
  HOLDER,
  issueAt,
  startTestFederation,
  verifyAt,
  type ProvinceState,
  type TestFederation,
} from '../kit/federation';
import { claimsOf } from '../kit/domain';
import { decodeQrPng, decodeQrSvg } from '../kit/qr';
import { GD, ZJ } from './fixtures';

const tmp = tempDir();
let fed: TestFederation;
let zj: ProvinceState;
let gd: ProvinceState;

const reasonCodes = (result: { reasons: { code: string }[] }) => result.reasons.map((r) => r.code);

beforeAll(async () => {
  fed = await startTestFederation([ZJ, GD], { codeFormat: 'HCX1' });
  [zj, gd] = fed.state.provinces;
}, 60_000);
afterAll(async () => {
  await fed?.close();
  tmp.cleanup();
});

async function issueHcx1(): Promise<{ code: string; codeId: string; qr: string }> {
  const res = await issueAt(zj, { holder: HOLDER, status: 'green' });
  expect(res.status).toBe(201);
  return (await res.json()) as { code: string; codeId: string; qr: string };
}

describe('provinces issuing HCX1 codes', () => {
  it("issues an HCX1 code in Zhejiang that verifies valid at Guangdong's node, holder check included", async () => {
    const body = await issueHcx1();

    const valid = await verifyAt(gd, body.code);
    const bound = await verifyAt(gd, body.code, { idType: HOLDER.idType, idNumber: HOLDER.idNumber });
    const other = await verifyAt(gd, body.code, { idType: '10', idNumber: '110105194912310038' });

    expect(body.code).toMatch(/^HCX1:eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    // the answer is what the contract says (schemas/issue-response.json)
    expect(assertValidAgainst(SCHEMA_IDS.issueResponse, body)).toBe(body);
    expect(claimsOf(body.code)).toMatchObject({ v: 1, iss: ZJ, hb: { alg: 'scrypt-v1' } });
    expect(claimsOf(body.code)).not.toHaveProperty('si');
    // the SVG holds the code itself (byte mode), which any QR reader returns as it is
    expect(decodeQrSvg(body.qr)).toBe(body.code);
    expect(valid).toMatchObject({
      result: 'valid',
      status: 'green',
      codeId: body.codeId,
      issuer: { region: ZJ },
    });
    expect(bound).toMatchObject({ result: 'valid', holder: { bound: true } });
    expect([other.result, reasonCodes(other)]).toEqual(['invalid', ['HOLDER_MISMATCH']]);
  });

  it("revokes an HCX1 code by id (code.revoke): CODE_REVOKED at Guangdong's node after its next sync", async () => {
    const { code, codeId } = await issueHcx1();
    expect((await verifyAt(gd, code)).result).toBe('valid');

    const revoked = await fetch(`${zj.url}/v1/codes/${codeId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${zj.internalToken}` },
    });
    const record = (await revoked.json()) as { revocation: string };
    await fed.runScheduled();
    const after = await verifyAt(gd, code);
    const list = await (await fetch(`${fed.state.exchangeUrl}/v1/trust-list`)).text();
    const payload = JSON.parse(Buffer.from(list.trim().split('.')[1], 'base64url').toString()) as TrustList;

    expect([revoked.status, record.revocation]).toEqual([200, 'published']);
    // no status index: the exchange holds the revocation by code id
    expect(payload.codeRevocations.filter((r) => r.jti === codeId).map((r) => r.region)).toEqual([ZJ]);
    expect([after.result, reasonCodes(after)]).toEqual(['invalid', ['CODE_REVOKED']]);
  });

  it('hcx issue prints the HCX1 code and writes its QR; hcx verify reads the QR online and offline', async () => {
    const qr = tmp.file('hcx1.png');
    const trustList = tmp.file('trust-list.jws');

    const issued = await cliIssue({ node: zj.url, token: zj.internalToken, ...HOLDER, status: 'green', qr });
    const online = await cliVerify({ qr, node: gd.url });
    await trustListFetch({
      exchange: fed.state.exchangeUrl,
      federationJwks: fed.state.federationJwks,
      out: trustList,
    });
    const offline = await cliVerify({
      qr,
      offline: true,
      trustList,
      federationJwks: fed.state.federationJwks,
    });
    const typed = await cliVerify({ code: issued.data.code, node: gd.url });

    expect(issued.exitCode).toBe(0);
    expect(issued.data.code).toMatch(/^HCX1:/);
    expect(issued.lines[0]).toBe(issued.data.code);
    expect(issued.data.qrFile).toBe(qr);
    expect(decodeQrPng(qr)).toBe(issued.data.code);
    for (const r of [online, offline, typed]) {
      expect([r.exitCode, r.data.result, r.data.codeId]).toEqual([0, 'valid', issued.data.codeId]);
    }
  });
});
