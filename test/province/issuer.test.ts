/** The issuer routes over dynalite: issue, describe, erase, revoke, and what is (not) stored. */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { create as createErase } from '../../functions/province/handlers/erase-code';
import { create as createGet } from '../../functions/province/handlers/get-code';
import { create as createIssue } from '../../functions/province/handlers/issue';
import { create as createRevoke } from '../../functions/province/handlers/revoke-code';
import { create as createSync } from '../../functions/province/handlers/sync';
import { parseCompactJws } from '../../functions/core/jws/compact';
import { codeFromQrText, qrText } from '../../functions/core/code/format';
import { REQUEST_PROFILE, STATUS_REQUEST_PROFILE } from '../../functions/core/profiles';
import { readSegmentBits, locate } from '../../functions/core/status/segment';
import { publishPendingRevocations } from '../../functions/province/codes';
import type { ProvinceDeps } from '../../functions/province/deps';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { captureLogs, dynaliteTables, NOW, type DynaliteTables } from '../kit';
import { decodeQrSvg } from '../kit/qr';
import {
  call,
  clock,
  fakeExchange,
  federationKey,
  FEDERATION,
  HOLDER_NAME,
  ID_NUMBER,
  issueBody,
  localSigner,
  provinceDeps,
  ZJ,
} from './fixtures';

let db: DynaliteTables;
let deps: ProvinceDeps;
let exchange: ReturnType<typeof fakeExchange>;
let enrollmentKid: string;
const time = clock(NOW);

beforeAll(async () => {
  db = await dynaliteTables([PROVINCE_TABLE]);
});
afterAll(() => db.close());

beforeEach(async () => {
  time.set(NOW);
  exchange = fakeExchange(() => ({ status: 404, body: '' }));
  const enrollmentSigner = await localSigner();
  enrollmentKid = enrollmentSigner.kid;
  deps = provinceDeps({
    region: ZJ,
    client: db.client,
    tableName: db.tableName,
    issuerSigners: [await localSigner()],
    enrollmentSigner,
    federationJwks: (await federationKey()).jwks,
    fetch: exchange.fetch,
    now: time.now,
  });
  // Every test starts with no revocation left pending by another.
  for (const p of await deps.repository.listPendingRevocations(100)) {
    await deps.repository.deletePendingRevocation(p.codeId);
  }
});

async function issue(over: Record<string, unknown> = {}) {
  return call(createIssue(deps), { method: 'POST', path: '/v1/codes', body: issueBody(over) });
}

async function scanTable(): Promise<string> {
  const { Items } = await db.client.send(new ScanCommand({ TableName: db.tableName, ConsistentRead: true }));
  return JSON.stringify(Items);
}

describe('POST /v1/codes', () => {
  it('issues a code with its id, RFC 3339 expiry and an SVG QR', async () => {
    const res = await issue({ validitySeconds: 3600 });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.code).toMatch(/^HCX2:eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(body.codeId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body.expiresAt).toBe(new Date((NOW + 3600) * 1000).toISOString());
    expect(body.qr).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    // The symbol holds the QR form (prefix + two digits a character), and reads back to the code.
    const scanned = decodeQrSvg(body.qr);
    expect(scanned).toBe(qrText(body.code));
    expect(scanned).toMatch(/^HCX2:[0-9]+$/);
    expect(codeFromQrText(scanned!)).toBe(body.code);
  });

  it('stores only the code record, never the holder name or ID number, with a TTL after expiry', async () => {
    const logs = captureLogs();
    const { codeId } = (await issue({ reason: 'NAT-TEST.1' })).json();
    logs.stop();
    const stored = await scanTable();
    expect(stored).not.toContain(HOLDER_NAME);
    expect(stored).not.toContain(ID_NUMBER);
    expect(stored).not.toContain(ID_NUMBER.slice(0, 17));
    expect(logs.text()).not.toContain(ID_NUMBER);
    expect(logs.text()).not.toContain(HOLDER_NAME);
    const record = await deps.repository.getCode(codeId);
    expect(Object.keys(record!).sort()).toEqual(
      [
        'codeId',
        'expiresAt',
        'healthStatus',
        'holder',
        'issuedAt',
        'kid',
        'reason',
        'region',
        'status',
        'statusIndex',
      ].sort(),
    );
    expect(record).toMatchObject({
      status: 'issued',
      healthStatus: 'green',
      region: ZJ,
      reason: 'NAT-TEST.1',
    });
    const item = JSON.parse(stored).find((i: { pk: { S: string } }) => i.pk.S === `CODE#${codeId}`);
    // the default retention policy keeps a record until its code expires, not a second longer
    expect(Number(item.ttl.N)).toBe(record!.expiresAt);
  });

  it('refuses a resident ID number with a wrong check character with a clear 400', async () => {
    const res = await issue({ holder: { name: HOLDER_NAME, idType: '10', idNumber: '110105194912310021' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('REQUEST_INVALID');
    expect(res.json().detail).toContain('/holder/idNumber');
    expect(res.body).not.toContain('110105194912310021');
  });

  it('refuses an unknown member and a lifetime above the maximum', async () => {
    expect((await issue({ sleep: 8 })).statusCode).toBe(400);
    expect((await issue({ validitySeconds: 604_801 })).statusCode).toBe(400);
  });
});

describe('GET and DELETE /v1/codes/{codeId}', () => {
  it('shows what is held and erases it, after which nothing is held', async () => {
    const { codeId } = (await issue()).json();
    const get = () =>
      call(createGet(deps), { method: 'GET', path: '/v1/codes/{codeId}', pathParameters: { codeId } });
    const held = await get();
    expect(held.statusCode).toBe(200);
    expect(held.json()).toMatchObject({ codeId, status: 'issued', healthStatus: 'green', region: ZJ });
    expect(held.json().holderBinding.alg).toBe('scrypt-v2');
    const erased = await call(createErase(deps), {
      method: 'DELETE',
      path: '/v1/codes/{codeId}',
      pathParameters: { codeId },
    });
    expect(erased.statusCode).toBe(204);
    expect((await get()).statusCode).toBe(404);
    const again = await call(createErase(deps), {
      method: 'DELETE',
      path: '/v1/codes/{codeId}',
      pathParameters: { codeId },
    });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('NOT_FOUND');
  });

  it('refuses a code id that is not one', async () => {
    const res = await call(createGet(deps), {
      method: 'GET',
      path: '/v1/codes/{codeId}',
      pathParameters: { codeId: '../../etc/passwd' },
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('POST /v1/codes/{codeId}/revoke', () => {
  const revoke = (codeId: string) =>
    call(createRevoke(deps), {
      method: 'POST',
      path: '/v1/codes/{codeId}/revoke',
      pathParameters: { codeId },
    });

  it('marks the record revoked and publishes its status segment in a signed status.publish', async () => {
    const { codeId } = (await issue({ validitySeconds: 7200 })).json();
    const si = (await deps.repository.getCode(codeId))?.statusIndex as number;
    time.advance(60);
    const res = await revoke(codeId);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ codeId, status: 'revoked', revocation: 'published' });
    expect(exchange.posts).toHaveLength(1);
    expect(exchange.posts[0].path).toBe(`/v1/provinces/${ZJ}/status-segments`);
    const signed = parseCompactJws(exchange.posts[0].body, STATUS_REQUEST_PROFILE);
    expect(signed.kid).toBe((await deps.enrollmentSigner()).kid);
    expect(signed.payload).toMatchObject({
      aud: FEDERATION,
      region: ZJ,
      op: 'status.publish',
      segments: [{ segment: locate(si).segment, rev: 1, exp: NOW + 7200, count: 1 }],
    });
    const bits = (signed.payload as { segments: { bits: string }[] }).segments[0].bits;
    expect(readSegmentBits(bits).set.has(locate(si).offset)).toBe(true);
  });

  it('answers 503 when the exchange is unreachable, keeps the record pending, and publishes on retry', async () => {
    const { codeId } = (await issue()).json();
    exchange.answerPosts(() => 'down');
    const failed = await revoke(codeId);
    expect(failed.statusCode).toBe(503);
    expect(failed.json().code).toBe('EXCHANGE_UNAVAILABLE');
    const held = await deps.repository.getCode(codeId);
    expect(held).toMatchObject({ status: 'revoked', revokedAt: NOW });
    expect(held?.revocationPublishedAt).toBeUndefined();

    exchange.answerPosts(() => ({ status: 200, body: '{}' }));
    time.advance(30);
    const retried = await revoke(codeId);
    expect(retried.statusCode).toBe(200);
    expect(retried.json().revocation).toBe('published');
    // The first revocation time is kept.
    expect(retried.json().revokedAt).toBe(new Date(NOW * 1000).toISOString());
    const third = await revoke(codeId);
    expect(third.statusCode).toBe(200);
    expect(exchange.posts).toHaveLength(1);
  });

  it('leaves a revocation made while the exchange is down to the next scheduled sync, which publishes it once', async () => {
    // prepare: two codes revoked while the exchange is down
    const first = (await issue({ validitySeconds: 7200 })).json().codeId as string;
    const second = (await issue({ validitySeconds: 3600 })).json().codeId as string;
    exchange.answerPosts(() => 'down');
    const answers = [(await revoke(first)).statusCode, (await revoke(second)).statusCode];
    const pendingBefore = (await deps.repository.listPendingRevocations(100)).map((p) => p.codeId).sort();
    exchange.answerPosts(() => ({ status: 200, body: '{}' }));
    time.advance(60);

    // act: the scheduled sync runs (its trust-list part fails: this fake exchange has no list)
    const run = await createSync(deps)({ source: 'aws.events' } as never, {} as never);
    const again = await createSync(deps)({ source: 'aws.events' } as never, {} as never);

    // assert
    expect(answers).toEqual([503, 503]);
    expect(pendingBefore).toEqual([first, second].sort());
    expect(run.revocations).toEqual({ published: 2, expired: 0 });
    expect(again.revocations).toEqual({ published: 0, expired: 0 });
    expect(exchange.posts).toHaveLength(1);
    const signed = parseCompactJws(exchange.posts[0].body, STATUS_REQUEST_PROFILE);
    expect(signed.payload).toMatchObject({ op: 'status.publish', region: ZJ });
    const [segment] = (signed.payload as { segments: { bits: string; exp: number }[] }).segments;
    expect(segment.exp).toBeGreaterThanOrEqual(NOW + 7200); // the segment lives as long as its last code
    const set = readSegmentBits(segment.bits).set;
    for (const codeId of [first, second]) {
      expect(set.has(locate((await deps.repository.getCode(codeId))?.statusIndex as number).offset)).toBe(
        true,
      );
    }
    expect(await deps.repository.listPendingRevocations(100)).toEqual([]);
    for (const codeId of [first, second]) {
      expect(
        (
          await call(createGet(deps), {
            method: 'GET',
            path: '/v1/codes/{codeId}',
            pathParameters: { codeId },
          })
        ).json().revocation,
      ).toBe('published');
    }
  });

  it('keeps pending revocations while the exchange is still down, and drops those whose code expired', async () => {
    // prepare
    const short = (await issue({ validitySeconds: 600 })).json().codeId as string;
    const long = (await issue({ validitySeconds: 7200 })).json().codeId as string;
    exchange.answerPosts(() => 'down');
    await revoke(short);
    await revoke(long);
    time.advance(601);

    // act
    const down = await publishPendingRevocations(deps);
    exchange.answerPosts(() => ({ status: 200, body: '{}' }));
    const up = await publishPendingRevocations(deps);

    // assert
    expect(down).toEqual({ published: 0, expired: 1, error: 'EXCHANGE_UNAVAILABLE' });
    expect(up).toEqual({ published: 1, expired: 0 });
    expect(exchange.posts).toHaveLength(1);
    const payload = parseCompactJws(exchange.posts[0].body, STATUS_REQUEST_PROFILE).payload as {
      segments: { bits: string; exp: number }[];
    };
    expect(payload.segments[0].exp).toBeGreaterThanOrEqual(NOW + 7200);
    const longIndex = (await deps.repository.getCode(long))?.statusIndex as number;
    expect(readSegmentBits(payload.segments[0].bits).set.has(locate(longIndex).offset)).toBe(true);
    expect(await deps.repository.listPendingRevocations(100)).toEqual([]);
  });

  it('publishes revocations of codes without a status index as one signed code.revoke per code', async () => {
    // prepare: two codes without `si` (HCX1) left pending; the exchange answers the second one once
    // with 503 (the first is then published, the second stays pending for the next run)
    const codes = ['AAAAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBBBB'];
    for (const codeId of codes) {
      await deps.repository.putPendingRevocation({ codeId, exp: NOW + 3600, revokedAt: NOW });
    }
    let calls = 0;
    exchange.answerPosts(() => (++calls === 2 ? 'down' : { status: 200, body: '{}' }));

    // act
    const first = await publishPendingRevocations(deps);
    const second = await publishPendingRevocations(deps);

    // assert: each request names exactly one code, signed with the enrollment key, at its own path
    expect(first).toEqual({ published: 0, expired: 0, error: 'EXCHANGE_UNAVAILABLE' });
    expect(second).toEqual({ published: 2, expired: 0 });
    const named = exchange.posts.map((post) => {
      expect(post.path).toBe(`/v1/provinces/${ZJ}/code-revocations`);
      const { payload, kid } = parseCompactJws(post.body, REQUEST_PROFILE);
      expect(kid).toBe(enrollmentKid);
      expect(payload).toMatchObject({ op: 'code.revoke', region: ZJ, aud: FEDERATION });
      return (payload as { codes: { jti: string; exp: number }[] }).codes;
    });
    // the first run: AAA… accepted, BBB… not reached (not recorded); the second run sends both
    // again (AAA… is then "already revoked" at a real exchange: the retry is harmless)
    expect(named).toEqual([
      [{ jti: codes[0], exp: NOW + 3600 }],
      [{ jti: codes[0], exp: NOW + 3600 }],
      [{ jti: codes[1], exp: NOW + 3600 }],
    ]);
    expect(await deps.repository.listPendingRevocations(100)).toEqual([]);
  });

  it('clears the pending note when the revocation is published at once', async () => {
    // act
    const { codeId } = (await issue()).json();
    const res = await revoke(codeId);

    // assert
    expect(res.json().revocation).toBe('published');
    expect(await deps.repository.listPendingRevocations(100)).toEqual([]);
  });

  it('treats a revocation the exchange already holds as done', async () => {
    const { codeId } = (await issue()).json();
    exchange.answerPosts(() => ({
      status: 409,
      body: JSON.stringify({ code: 'KEY_ALREADY_REVOKED', status: 409 }),
      contentType: 'application/problem+json',
    }));
    expect((await revoke(codeId)).json().revocation).toBe('published');
  });

  it('does not take any other conflict for done', async () => {
    const { codeId } = (await issue()).json();
    exchange.answerPosts(() => ({
      status: 409,
      body: JSON.stringify({ code: 'TOO_MANY_KEYS', status: 409 }),
      contentType: 'application/problem+json',
    }));
    const res = await revoke(codeId);
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('EXCHANGE_REFUSED');
  });

  it('answers 404 for a code nothing is held about', async () => {
    expect((await revoke('AAAAAAAAAAAAAAAAAAAAAA')).statusCode).toBe(404);
  });
});
