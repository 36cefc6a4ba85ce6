/**
 * Issue 19 item 5: the holder check of `POST /v1/codes/verify` is neither an oracle nor a free CPU
 * sink. Through the real verify handler over dynalite, with the node's holder check wrapped by a spy
 * (the injected `check` of the bounded gate, functions/core/holder-gate.ts):
 * - a code that is not otherwise valid never reaches the scrypt derivation, and its answer says
 *   nothing about the holder (`bound: null`, no HOLDER_MISMATCH);
 * - beyond the concurrency cap and the short queue a check is refused at once with
 *   `503 HOLDER_CHECK_BUSY`, `Retry-After` and an RFC 9457 body;
 * - one caller beyond its holder checks per window, counted in the table across every instance, is
 *   refused with `429 HOLDER_CHECKS_PER_CALLER` and `Retry-After` before any work, while another
 *   caller is not; the table holds no address, only keyed hashes.
 */
import { create as createIssue } from '../../functions/province/handlers/issue';
import { create as createVerify } from '../../functions/province/handlers/verify';
import type { HolderBinding } from '../../functions/core/holder';
import { holderMatches } from '../../functions/core/holder';
import { boundedHolderCheck, HolderCheckBusy } from '../../functions/core/holder-gate';
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../functions/aws/dynamodb';
import { CALLER_PK_PREFIX, callerOf } from '../../functions/core/caller-tag';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import type { Signer } from '../../functions/core/signer';
import type { CallerLimitOptions } from '../../functions/province/caller-limit';
import type { ProvinceDeps } from '../../functions/province/deps';
import { dynaliteTables, NOW, unverifiedCodeRevocation, type DynaliteTables } from '../kit';
import {
  call,
  clock,
  federationKey,
  GD,
  ID_NUMBER,
  issueBody,
  listOf,
  localSigner,
  provinceDeps,
  ZJ,
} from '../province/fixtures';

const HOLDER = { idType: '10', idNumber: ID_NUMBER };
/** Another valid resident ID number (GB 11643 check character right). */
const OTHER_ID = '110105194912310038';
let db: DynaliteTables;
let fed: Awaited<ReturnType<typeof federationKey>>;
let zjSigner: Signer;
let gdSigner: Signer;
let n = 0;

beforeAll(async () => {
  db = await dynaliteTables([PROVINCE_TABLE]);
  fed = await federationKey();
  [zjSigner, gdSigner] = await Promise.all([localSigner(), localSigner()]);
});
afterAll(() => db.close());

/** A spy on the real scrypt check; `hold()` makes the next checks wait until `release()`. */
function spyCheck() {
  let calls = 0;
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  return {
    get calls() {
      return calls;
    },
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release: () => open(),
    check: async (binding: HolderBinding, idType: string, idNumber: string) => {
      calls++;
      if (gate) await gate;
      return holderMatches(binding, idType, idNumber);
    },
  };
}

async function nodes(
  holderChecks: { concurrency?: number; queue?: number } = {},
  callerLimits: CallerLimitOptions = {},
) {
  const time = clock(NOW);
  const spy = spyCheck();
  const tables: Record<string, string> = {};
  const make = async (region: string, signer: Signer) => {
    const name = `holder-${process.pid}-${++n}`;
    tables[region] = name;
    await createTable(db.client, PROVINCE_TABLE, name);
    return provinceDeps({
      region,
      client: db.client,
      tableName: name,
      issuerSigners: [signer],
      federationJwks: fed.jwks,
      now: time.now,
      holderChecks: { ...holderChecks, check: spy.check },
      callerLimits,
    });
  };
  return { zj: await make(ZJ, zjSigner), gd: await make(GD, gdSigner), time, spy, tables };
}

async function installList(
  deps: ProvinceDeps,
  over: Parameters<typeof listOf>[1],
  suspend?: string,
  only: readonly string[] = [ZJ, GD],
) {
  const list = listOf(
    [
      { region: ZJ, signer: zjSigner, name: '浙江省' },
      { region: GD, signer: gdSigner, name: '广东省' },
    ].filter((p) => only.includes(p.region)),
    over,
  );
  const provinces = list.provinces.map((p) =>
    p.region === suspend ? { ...p, status: 'suspended' as const } : p,
  );
  await deps.repository.putReplica(
    { ...list, provinces },
    { base: 'test', baseAcceptedAt: NOW, deltas: [] },
    NOW,
  );
}

const issue = async (deps: ProvinceDeps, over: Record<string, unknown> = {}) =>
  (await call(createIssue(deps), { method: 'POST', path: '/v1/codes', body: issueBody(over) })).json() as {
    code: string;
    codeId: string;
  };

const verify = (deps: ProvinceDeps, code: string, holder: object = HOLDER, sourceIp?: string) =>
  call(createVerify(deps), {
    method: 'POST',
    path: '/v1/codes/verify',
    body: { code, holder },
    ...(sourceIp ? { sourceIp } : {}),
  });

/** Both the right and a wrong document get the same answer, without any derivation. */
async function expectNoHolderAnswer(
  deps: ProvinceDeps,
  code: string,
  reason: string,
  spy: { calls: number },
) {
  const right = await verify(deps, code);
  const wrong = await verify(deps, code, { idType: '10', idNumber: OTHER_ID });
  expect(codesOf(right)).toContain(reason);
  expect(codesOf(right)).not.toContain('HOLDER_MISMATCH');
  expect(right.json().holder?.bound ?? null).toBeNull();
  expect(wrong.json()).toEqual(right.json());
  expect(spy.calls).toBe(0);
}

const codesOf = (res: { json: () => { reasons: { code: string }[] } }) =>
  res.json().reasons.map((r) => r.code);

describe('holder checks run only for otherwise valid codes (no oracle, no CPU sink)', () => {
  it('checks the holder of a valid code (the spy sees one derivation per check)', async () => {
    const { zj, gd, spy } = await nodes();
    await installList(gd, { now: NOW });
    const { code } = await issue(zj);
    const right = await verify(gd, code);
    const wrong = await verify(gd, code, { idType: '10', idNumber: OTHER_ID });
    expect([right.json().result, right.json().holder.bound]).toEqual(['valid', true]);
    expect(codesOf(wrong)).toEqual(['HOLDER_MISMATCH']);
    expect(spy.calls).toBe(2);
  });

  it.each([
    ['CODE_REVOKED', 'revoked'],
    ['EXPIRED', 'expired'],
    ['ISSUER_SUSPENDED', 'from a suspended province'],
    ['SIGNATURE_INVALID', 'with a broken signature'],
    ['UNKNOWN_KEY', 'signed by a key the list does not hold'],
  ])('never derives for a code that is %s (%s): bound null, no HOLDER_MISMATCH', async (reason) => {
    const { zj, gd, spy, time } = await nodes();
    const { code, codeId } = await issue(zj);
    let presented = code;
    if (reason === 'CODE_REVOKED') {
      await installList(gd, {
        now: NOW,
        codeRevocations: [unverifiedCodeRevocation(ZJ, codeId, NOW + 86_400)],
      });
    } else if (reason === 'EXPIRED') {
      time.set(NOW + 2 * 86_400);
      await installList(gd, { now: NOW, expiresAt: NOW + 10 * 86_400 });
    } else if (reason === 'ISSUER_SUSPENDED') {
      await installList(gd, { now: NOW }, ZJ);
    } else if (reason === 'SIGNATURE_INVALID') {
      await installList(gd, { now: NOW });
      const last = code.at(-2) === 'A' ? 'B' : 'A';
      presented = `${code.slice(0, -2)}${last}${code.at(-1)}`;
    } else {
      // A code of GD's node, verified at a ZJ node whose list names ZJ only.
      await installList(zj, { now: NOW }, undefined, [ZJ]);
      presented = (await issue(gd)).code;
      return expectNoHolderAnswer(zj, presented, reason, spy);
    }
    await expectNoHolderAnswer(gd, presented, reason, spy);
  });
});

describe('holder checks are bounded per node', () => {
  it('refuses a check beyond the cap with 503 HOLDER_CHECK_BUSY, Retry-After and an RFC 9457 body, before any work', async () => {
    const { zj, gd, spy } = await nodes({ concurrency: 1, queue: 0 });
    await installList(gd, { now: NOW });
    const { code } = await issue(zj);
    spy.hold();
    const running = verify(gd, code);
    while (spy.calls < 1) await new Promise((r) => setTimeout(r, 5));
    const refused = await verify(gd, code);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json()).toEqual({
      type: 'https://hcx.example/problems/holder-check-busy',
      title: 'Too many holder checks in progress, retry later',
      status: 503,
      code: 'HOLDER_CHECK_BUSY',
    });
    spy.release();
    expect([(await running).statusCode, (await running).json().holder.bound]).toEqual([200, true]);
    // The refused request never reached the derivation; once the work is done, checks are accepted again.
    expect(spy.calls).toBe(1);
    expect((await verify(gd, code)).statusCode).toBe(200);
  });

  it('queues up to `queue` checks behind the cap and refuses the next one at once', async () => {
    let started = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const bounded = boundedHolderCheck({
      concurrency: 2,
      queue: 3,
      retryAfterSeconds: 2,
      check: async () => {
        started++;
        await gate;
        return true;
      },
    });
    const binding = { alg: 'scrypt-v2', salt: '', tag: '' };
    const accepted = Array.from({ length: 5 }, () => bounded(binding, '10', ID_NUMBER));
    const refused = await bounded(binding, '10', ID_NUMBER).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HolderCheckBusy);
    expect([(refused as HolderCheckBusy).code, (refused as HolderCheckBusy).status]).toEqual([
      'HOLDER_CHECK_BUSY',
      503,
    ]);
    expect((refused as HolderCheckBusy).retryAfterSeconds).toBe(2);
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toBe(2);
    open();
    expect(await Promise.all(accepted)).toEqual([true, true, true, true, true]);
    expect(started).toBe(5);
  });
});

describe('holder checks are limited per caller across instances (AWS and embedded: the table counts)', () => {
  const A = '198.51.100.7';
  const B = '203.0.113.9';

  it('refuses caller A beyond its window with 429 HOLDER_CHECKS_PER_CALLER and Retry-After, before any work; caller B is unaffected', async () => {
    const { zj, gd, spy, time, tables } = await nodes({}, { perWindow: 3, windowSeconds: 60 });
    await installList(gd, { now: NOW });
    const { code } = await issue(zj);
    // A second instance of the same node: separate deps (own gate, own limiter object), same table, same secret.
    const secret = randomBytes(32);
    const instance = () =>
      provinceDeps({
        region: GD,
        client: db.client,
        tableName: tables[GD],
        issuerSigners: [gdSigner],
        federationJwks: fed.jwks,
        now: time.now,
        holderChecks: { check: spy.check },
        callerSecret: async () => secret,
        callerLimits: { perWindow: 3, windowSeconds: 60 },
      });
    const [one, two] = [instance(), instance()];
    await installList(one, { now: NOW });
    time.set(NOW - (NOW % 60)); // the start of a window
    const answers = [];
    for (const node of [one, two, one]) answers.push((await verify(node, code, HOLDER, A)).statusCode);
    expect(answers).toEqual([200, 200, 200]);
    const before = spy.calls;
    const refused = await verify(two, code, HOLDER, A);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      type: 'https://hcx.example/problems/holder-checks-per-caller',
      title: 'Too many holder checks from this caller, retry later',
      status: 429,
      code: 'HOLDER_CHECKS_PER_CALLER',
    });
    expect(refused.headers['retry-after']).toBe('60');
    expect(spy.calls).toBe(before); // no scrypt for the refused check
    // Another caller is not affected, on either instance.
    expect((await verify(one, code, HOLDER, B)).json().holder.bound).toBe(true);
    // A code that is not otherwise valid costs nothing and is not counted: A still gets its answer.
    const broken = `${code.slice(0, -2)}${code.at(-2) === 'A' ? 'B' : 'A'}${code.at(-1)}`;
    expect((await verify(two, broken, HOLDER, A)).statusCode).toBe(200);
    // The next window, A is served again; Retry-After counts down within the window.
    time.advance(45);
    expect((await verify(one, code, HOLDER, A)).headers['retry-after']).toBe('15');
    time.advance(15);
    expect((await verify(one, code, HOLDER, A)).statusCode).toBe(200);
  });

  it('counts an IPv6 caller by its /64 and an IAM caller by its principal', async () => {
    const { zj, gd } = await nodes({}, { perWindow: 1 });
    await installList(gd, { now: NOW });
    const { code } = await issue(zj);
    expect((await verify(gd, code, HOLDER, '2001:db8:1:2::1')).statusCode).toBe(200);
    // Another address of the same /64: the same caller.
    expect((await verify(gd, code, HOLDER, '2001:db8:1:2:ffff::9')).json().code).toBe(
      'HOLDER_CHECKS_PER_CALLER',
    );
    // Another /64: another caller.
    expect((await verify(gd, code, HOLDER, '2001:db8:1:3::1')).statusCode).toBe(200);
    expect(callerOf('198.51.100.7', 'arn:aws:iam::123456789012:user/checkpoint')).toBe(
      'iam:arn:aws:iam::123456789012:user/checkpoint',
    );
  });

  it('keeps no address on disk: the counters are keyed hashes with an expiry, unlinkable across windows', async () => {
    const { zj, gd, time, tables } = await nodes({}, { perWindow: 5 });
    await installList(gd, { now: NOW });
    const { code } = await issue(zj);
    await verify(gd, code, HOLDER, A);
    time.advance(60);
    await verify(gd, code, HOLDER, A);
    const { Items = [] } = await db.client.send(new ScanCommand({ TableName: tables[GD] }));
    const counters = Items.filter((i) => i.pk.S?.startsWith(CALLER_PK_PREFIX));
    expect(counters).toHaveLength(2); // one per window: the two tags differ
    expect(new Set(counters.map((c) => c.pk.S)).size).toBe(2);
    const stored = JSON.stringify(Items);
    for (const clear of [A, '198.51.100', 'ip4:']) expect(stored).not.toContain(clear);
    for (const c of counters) {
      expect(c.pk.S).toMatch(/^CALLER#[A-Za-z0-9_-]{22}$/);
      expect(Number(c.ttl.N)).toBeGreaterThan(NOW);
      expect(Number(c.ttl.N)).toBeLessThanOrEqual(NOW + 60 + 120);
    }
  });
});
