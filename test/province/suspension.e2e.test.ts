/**
 * Suspending a province, end to end on the embedded federation (test/kit/federation.ts): Zhejiang
 * issuing and Guangdong verifying over HTTP. After the operator suspends Zhejiang, Guangdong's next
 * sync makes its verifier answer ISSUER_SUSPENDED for Zhejiang's codes, and Zhejiang can no longer
 * revoke through the exchange.
 */
import type { Federation } from '../../functions/embedded/federation';
import { HOLDER, issueAt, startTestFederation, verifyAt, type ProvinceState } from '../kit/federation';
import { GD, ZJ } from './fixtures';

let fed: Federation;
let zj: ProvinceState;
let gd: ProvinceState;

beforeAll(async () => {
  fed = await startTestFederation([ZJ, GD]);
  [zj, gd] = fed.state.provinces;
}, 60_000);
afterAll(() => fed?.close());

/** Guangdong's last sync outcome (`GET /v1/registry`, internal route). */
async function lastSyncOf(p: ProvinceState): Promise<unknown> {
  const res = await fetch(`${p.url}/v1/registry`, {
    headers: { authorization: `Bearer ${p.internalToken}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { lastSync?: { result?: unknown } }).lastSync?.result;
}

describe('suspending a province', () => {
  it("makes another province's verifier answer ISSUER_SUSPENDED for its codes after one sync", async () => {
    // prepare: a code of Zhejiang that Guangdong verifies
    const issued = await issueAt(zj, { holder: HOLDER, status: 'green' });
    expect(issued.status).toBe(201);
    const { code, codeId } = (await issued.json()) as { code: string; codeId: string };
    expect((await verifyAt(gd, code)).result).toBe('valid');

    // act: the operator suspends Zhejiang; every node syncs once
    const suspended = await fetch(`${fed.state.exchangeUrl}/v1/provinces/${zj.region}/suspend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fed.state.operatorToken}` },
    });
    await fed.runScheduled();
    const result = await verifyAt(gd, code);
    const revoke = await fetch(`${zj.url}/v1/codes/${codeId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${zj.internalToken}` },
    });

    // assert
    expect(suspended.status).toBe(200);
    expect(await lastSyncOf(gd)).toBe('updated');
    expect(result.result).toBe('invalid');
    expect(result.reasons.map((r) => r.code)).toEqual(['ISSUER_SUSPENDED']);
    // the exchange refused Zhejiang's signed request: nothing of it reached the log
    expect(revoke.status).toBeGreaterThanOrEqual(400);
    const log = (await (await fetch(`${fed.state.exchangeUrl}/v1/log`)).json()) as {
      entries: { type: string }[];
    };
    expect(log.entries.map((e) => e.type)).not.toContain('code.revoked');
    expect(log.entries.at(-1)?.type).toBe('province.suspended');
  });
});
