/**
 * End to end, in one process, on the embedded federation (test/kit/federation.ts): the real
 * exchange and two province nodes (Zhejiang and Guangdong), each with its own table, over real HTTP.
 * Issuing at A and verifying at B, revocation reaching B's verifier (counting sync cycles), the
 * exchange going down and coming back, key rotation, and no personal data anywhere.
 */
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { signerFromKeyFile } from '../../functions/core/files';
import { shortKid } from '../../functions/core/keys';
import type { Signer } from '../../functions/core/signer';
import type { Jwks } from '../../functions/core/schemas/types.gen';
import { create as createIssue } from '../../functions/province/handlers/issue';
import { rotateKey } from '../../functions/province/rotation';
import { captureLogs } from '../kit';
import {
  issueAt,
  startTestFederation,
  verifyAt,
  type ProvinceState,
  type TestFederation,
} from '../kit/federation';
import { call, GD, HOLDER_NAME, ID_NUMBER, issueBody, localSigner, provinceDeps, ZJ } from './fixtures';

let fed: TestFederation;
let zj: ProvinceState;
let gd: ProvinceState;

const issue = async (over: Record<string, unknown> = {}) => {
  const res = await issueAt(zj, issueBody(over));
  expect(res.status).toBe(201);
  return (await res.json()) as { code: string; codeId: string };
};

const revokeAt = (p: ProvinceState, codeId: string) =>
  fetch(`${p.url}/v1/codes/${codeId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.internalToken}` },
  });

/** One scheduled run; what Guangdong's sync returned. */
const syncGd = async () => {
  await fed.runScheduled();
  const outcome = fed.lastSync(GD);
  expect(outcome).toBeDefined();
  return outcome as NonNullable<typeof outcome>;
};

const reasonCodes = (result: { reasons: { code: string }[] }) => result.reasons.map((r) => r.code);

beforeAll(async () => {
  // the starter registers both provinces, publishes their first keys and syncs both nodes once
  fed = await startTestFederation([ZJ, GD]);
  [zj, gd] = fed.state.provinces;
  for (const region of [ZJ, GD]) expect(fed.lastSync(region)?.result).toBe('updated');
}, 60_000);
afterAll(() => fed?.close());

describe('a federation of two province nodes and the exchange', () => {
  it("verifies a code issued in Zhejiang at Guangdong's node", async () => {
    const { code, codeId } = await issue({ status: 'green' });
    const result = await verifyAt(gd, code);
    expect(result).toMatchObject({ result: 'valid', status: 'green', codeId, issuer: { region: ZJ } });
  });

  it("gets a revocation to Guangdong's verifier on its next sync", async () => {
    const { code, codeId } = await issue();
    expect((await verifyAt(gd, code)).result).toBe('valid');
    const revoked = await revokeAt(zj, codeId);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revocation: string }).revocation).toBe('published');

    let cycles = 0;
    const modes: (string | undefined)[] = [];
    let result = await verifyAt(gd, code);
    while (!reasonCodes(result).includes('CODE_REVOKED') && cycles < 5) {
      modes.push((await syncGd()).mode);
      cycles++;
      result = await verifyAt(gd, code);
    }
    console.log(`revocation reached the other province's verifier after ${cycles} sync cycle(s)`);
    expect(cycles).toBe(1);
    // It came as a signed delta chained from the replica's own head, not a full resync.
    expect(modes).toEqual(['delta']);
    expect(result.result).toBe('invalid');
    expect(reasonCodes(result)).toEqual(['CODE_REVOKED']);
  });

  it('keeps verifying from the last replica while the exchange is down, until the list expires', async () => {
    const { code } = await issue({ validitySeconds: 7 * 86_400 });
    await syncGd();
    await fed.stopExchange();
    try {
      const failed = await syncGd();
      expect(failed).toMatchObject({ result: 'failed', error: 'EXCHANGE_UNAVAILABLE' });
      expect((await verifyAt(gd, code)).result).toBe('valid');
      fed.shiftClock(23 * 3600);
      await syncGd();
      expect((await verifyAt(gd, code)).result).toBe('valid');
      fed.shiftClock(25 * 3600);
      await syncGd();
      const stale = await verifyAt(gd, code);
      expect(stale.result).toBe('indeterminate');
      expect(reasonCodes(stale)).toEqual(['TRUST_LIST_STALE']);
    } finally {
      await fed.startExchange();
      fed.shiftClock(0);
    }
    expect((await syncGd()).result).not.toBe('failed');
    expect((await verifyAt(gd, code)).result).toBe('valid');
  });

  it('keeps the holder name and ID number out of every table and every log line', async () => {
    const logs = captureLogs();
    const { code, codeId } = await issue();
    await verifyAt(gd, code);
    await verifyAt(gd, code, { idType: '10', idNumber: ID_NUMBER });
    await revokeAt(zj, codeId);
    await syncGd();
    logs.stop();
    const tables = [fed.context.exchange.tableName, ...fed.context.provinces.map((p) => p.tableName)];
    for (const table of tables) {
      const { Items } = await fed.context.client.send(
        new ScanCommand({ TableName: table, ConsistentRead: true }),
      );
      const text = JSON.stringify(Items);
      expect(text).not.toContain(ID_NUMBER);
      expect(text).not.toContain(HOLDER_NAME);
    }
    expect(logs.text()).not.toContain(ID_NUMBER);
    expect(logs.text()).not.toContain(HOLDER_NAME);
    expect(logs.text()).not.toContain(code.slice(5, 60));
  });

  // Last: after it the embedded Zhejiang node no longer holds its province's active key (the rotation
  // gave it to another instance), so issuing there fails once its 5-second active-kid cache expires.
  it('rotates a key: new codes use the new key, codes of the superseded key stay valid', async () => {
    const before = await issue();
    // Zhejiang's node as its operator's tooling sees it: its table, its keys, the exchange
    const keys = fed.context.keysDir;
    const [issuer, enrollment] = await Promise.all([
      signerFromKeyFile(join(keys, `${ZJ}-issuer.jwk.json`)),
      signerFromKeyFile(zj.enrollmentKeyFile),
    ]);
    const nodeDeps = (issuerSigners: Signer[]) =>
      provinceDeps({
        region: ZJ,
        federationId: fed.state.federationId,
        client: fed.context.client,
        tableName: fed.context.provinces[0].tableName,
        issuerSigners,
        enrollmentSigner: enrollment,
        federationJwks: fed.state.federationJwks as Jwks,
        exchangeUrl: fed.state.exchangeUrl,
      });
    const current = nodeDeps([issuer]);
    const next = await localSigner();
    const oldKid = issuer.kid;
    const rotation = await rotateKey({
      region: ZJ,
      federationId: fed.state.federationId,
      exchange: current.exchange,
      enrollmentSigner: enrollment,
      newSigner: next,
      oldKid,
      repository: current.repository,
      federationKeys: current.federationKeys,
      waitUntilVisible: { intervalMs: 10, timeoutMs: 5_000 },
      // Longer than a second: a code the old key signed in the revocation's own second would be refused.
      switchGraceMs: 1_100,
    });
    expect(rotation).toMatchObject({ newKid: next.kid, oldKid });
    // The node learns the new key only through its configuration of signers: an instance holding it.
    const rotated = nodeDeps([issuer, next]);
    const issued = await call(createIssue(rotated), { method: 'POST', path: '/v1/codes', body: issueBody() });
    expect(issued.statusCode).toBe(201);
    const after = issued.json() as { code: string };
    await syncGd();
    const header = JSON.parse(Buffer.from(after.code.slice(5).split('.')[0], 'base64url').toString());
    expect(header.kid).toBe(shortKid(next.kid));
    expect((await verifyAt(gd, after.code)).result).toBe('valid');
    expect((await verifyAt(gd, before.code)).result).toBe('valid');
  });
});
