/** Shared fixtures of the exchange tests: keys, signed requests, an exchange over a table. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { generateSigningKey, type GeneratedKey } from '../../functions/core/keys';
import type { PublicJwk, SignedRequestPayload } from '../../functions/core/schemas/types.gen';
import { signRequest } from '../../functions/core/signed-request';
import { LocalKeySigner, type Signer } from '../../functions/core/signer';
import { createExchangeDeps, type ExchangeDeps } from '../../functions/exchange/deps';
import type { LaneLeaseOptions } from '../../functions/exchange/lane-leases';
import type { TrustListSink } from '../../functions/exchange/trust-list-sink';
import { create as federation } from '../../functions/exchange/handlers/federation';
import { create as listProvinces } from '../../functions/exchange/handlers/list-provinces';
import { create as log } from '../../functions/exchange/handlers/log';
import { create as jwks } from '../../functions/exchange/handlers/province-jwks';
import { create as publishKey } from '../../functions/exchange/handlers/publish-key';
import { create as registerProvince } from '../../functions/exchange/handlers/register-province';
import { create as revokeCodes } from '../../functions/exchange/handlers/revoke-codes';
import { create as revokeKey } from '../../functions/exchange/handlers/revoke-key';
import { create as suspendProvince } from '../../functions/exchange/handlers/suspend-province';
import { create as reenrollProvince } from '../../functions/exchange/handlers/reenroll-province';
import { create as resumeProvince } from '../../functions/exchange/handlers/resume-province';
import { create as trustList } from '../../functions/exchange/handlers/trust-list';
import type { HttpLambdaHandler, HttpResponse } from '../../functions/http';
import { apiEvent, lambdaContext, type ApiEventInput } from '../kit';
import { DAY, FEDERATION, nonce, NOW, ZJ } from '../kit/domain';

export { DAY, FEDERATION, FJ, GD, nonce, NOW, ZJ } from '../kit/domain';

/** A local key with its signer. */
export interface TestKey extends GeneratedKey {
  readonly signer: Signer;
}

export async function testKey(alg = 'ES256'): Promise<TestKey> {
  const key = await generateSigningKey(alg);
  return { ...key, signer: await LocalKeySigner.fromPrivateJwk(key.privateJwk) };
}

type Op =
  | { op: 'key.publish'; key: Record<string, unknown>; alg: string; notBefore: number; notAfter: number }
  | { op: 'key.revoke'; kid: string; reason: string; revokedAt: number }
  | { op: 'code.revoke'; codes: { jti: string; exp: number }[] }
  | { op: 'province.sunset' }
  | {
      op: 'province.retention';
      retention: { maxCodeLifetimeSeconds: number; keepAfterExpirySeconds: number; holderErasure: boolean };
    };

/** Sign a request for `region` with `signer`; `over` replaces any envelope member. */
export function signed(
  signer: Signer,
  region: string,
  operation: Op,
  over: Record<string, unknown> = {},
): Promise<string> {
  const payload = { aud: FEDERATION, iat: NOW, jti: nonce(), region, ...operation, ...over };
  return signRequest(signer, payload as unknown as SignedRequestPayload);
}

/** The `key.publish` operation for `key`, valid for 90 days from NOW. */
export const publishOp = (key: GeneratedKey, over: Partial<Extract<Op, { op: 'key.publish' }>> = {}): Op => ({
  op: 'key.publish',
  key: { ...key.publicJwk },
  alg: key.alg,
  notBefore: NOW,
  notAfter: NOW + 90 * DAY,
  ...over,
});

/** A `province.registered` entry input for `enroll` (its enrollment key with kid and alg). */
export function registeredInput(enroll: GeneratedKey, region = ZJ, at = NOW, name = '浙江省') {
  return {
    at,
    type: 'province.registered' as const,
    region,
    data: { name, enrollmentKey: { ...enroll.publicJwk, kid: enroll.kid, alg: enroll.alg } as PublicJwk },
  };
}

/** A self-authenticating `key.published` entry input: `key` published by `enroll`'s signed request. */
export async function publishedInput(
  enroll: TestKey,
  key: GeneratedKey,
  { region = ZJ, at = NOW, notBefore = NOW, notAfter = NOW + 90 * DAY } = {},
) {
  const request = await signed(enroll.signer, region, publishOp(key, { notBefore, notAfter }));
  return {
    at,
    type: 'key.published' as const,
    region,
    data: {
      kid: key.kid,
      alg: key.alg as 'ES256' | 'EdDSA',
      jwk: { ...key.publicJwk } as PublicJwk,
      notBefore,
      notAfter,
      request,
    },
  };
}

/** A self-authenticating `key.revoked` entry input, signed by `enroll`. */
export async function revokedInput(
  enroll: TestKey,
  kid: string,
  {
    region = ZJ,
    at = NOW,
    reason = 'retired' as 'retired' | 'superseded' | 'compromised',
    revokedAt = NOW,
  } = {},
) {
  const request = await signed(enroll.signer, region, { op: 'key.revoke', kid, reason, revokedAt });
  return { at, type: 'key.revoked' as const, region, data: { kid, reason, revokedAt, request } };
}

/**
 * A self-authenticating `code.revoked` entry input: `enroll`'s signed `code.revoke` of `jti`, with
 * `revokedAt` its `iat`.
 */
export async function codeRevokedInput(
  enroll: TestKey,
  jti: string,
  { region = ZJ, at = NOW, exp = NOW + DAY, revokedAt = NOW } = {},
) {
  const request = await signed(
    enroll.signer,
    region,
    { op: 'code.revoke', codes: [{ jti, exp }] },
    {
      iat: revokedAt,
    },
  );
  return { at, type: 'code.revoked' as const, region, data: { jti, exp, revokedAt, request } };
}

/** A self-authenticating `province.sunset` entry input retiring `retired`, signed by `enroll`. */
export async function sunsetInput(enroll: TestKey, retired: string[], { region = ZJ, at = NOW } = {}) {
  const request = await signed(enroll.signer, region, { op: 'province.sunset' });
  return { at, type: 'province.sunset' as const, region, data: { retired, request } };
}

/** A self-authenticating `province.retention` entry input stating `retention`, signed by `enroll`. */
export async function retentionInput(
  enroll: TestKey,
  retention: { maxCodeLifetimeSeconds: number; keepAfterExpirySeconds: number; holderErasure: boolean },
  { region = ZJ, at = NOW } = {},
) {
  const request = await signed(enroll.signer, region, { op: 'province.retention', retention });
  return { at, type: 'province.retention' as const, region, data: { retention, request } };
}

/** A response with its JSON body decoded. */
export interface Answer extends HttpResponse {
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(handler: HttpLambdaHandler, input: ApiEventInput): Promise<Answer> {
  const res = await handler(apiEvent(input), lambdaContext());
  return { ...res, json: () => JSON.parse(res.body ?? 'null') };
}

/** Every exchange route, built from one deps. */
export function exchangeRoutes(deps: ExchangeDeps) {
  const h = {
    federation: federation(deps),
    register: registerProvince(deps),
    provinces: listProvinces(deps),
    publish: publishKey(deps),
    revokeKey: revokeKey(deps),
    revokeCodes: revokeCodes(deps),
    suspend: suspendProvince(deps),
    reenroll: reenrollProvince(deps),
    resume: resumeProvince(deps),
    jwks: jwks(deps),
    trustList: trustList(deps),
    log: log(deps),
  };
  const jose = (body: string) => ({ headers: { 'content-type': 'application/jose' }, body });
  return {
    handlers: h,
    register: (region: string, name: string, enrollmentKey: object) =>
      call(h.register, {
        method: 'POST',
        path: '/v1/provinces',
        body: { region, name, enrollmentKey },
        iamUserArn: 'arn:aws:iam::123456789012:user/operator',
      }),
    publish: (region: string, jws: string) =>
      call(h.publish, {
        method: 'POST',
        path: '/v1/provinces/{region}/keys',
        pathParameters: { region },
        ...jose(jws),
      }),
    revokeKey: (region: string, kid: string, jws: string) =>
      call(h.revokeKey, {
        method: 'POST',
        path: '/v1/provinces/{region}/keys/{kid}/revoke',
        pathParameters: { region, kid },
        ...jose(jws),
      }),
    revokeCodes: (region: string, jws: string) =>
      call(h.revokeCodes, {
        method: 'POST',
        path: '/v1/provinces/{region}/code-revocations',
        pathParameters: { region },
        ...jose(jws),
      }),
    suspend: (region: string) =>
      call(h.suspend, {
        method: 'POST',
        path: '/v1/provinces/{region}/suspend',
        pathParameters: { region },
        iamUserArn: 'arn:aws:iam::123456789012:user/operator',
      }),
    reenroll: (region: string, enrollmentKey: object) =>
      call(h.reenroll, {
        method: 'POST',
        path: '/v1/provinces/{region}/enrollment-key',
        pathParameters: { region },
        body: { enrollmentKey },
        iamUserArn: 'arn:aws:iam::123456789012:user/operator',
      }),
    resume: (region: string) =>
      call(h.resume, {
        method: 'POST',
        path: '/v1/provinces/{region}/resume',
        pathParameters: { region },
        iamUserArn: 'arn:aws:iam::123456789012:user/operator',
      }),
    jwks: (region: string) =>
      call(h.jwks, { method: 'GET', path: '/v1/provinces/{region}/jwks.json', pathParameters: { region } }),
    trustList: (query?: Record<string, string>, headers?: Record<string, string>) =>
      call(h.trustList, { method: 'GET', path: '/v1/trust-list', queryStringParameters: query, headers }),
    log: (query?: Record<string, string>) =>
      call(h.log, { method: 'GET', path: '/v1/log', queryStringParameters: query }),
    provinces: () => call(h.provinces, { method: 'GET', path: '/v1/provinces' }),
    federation: () => call(h.federation, { method: 'GET', path: '/v1/federation' }),
  };
}

/** A controllable clock. */
export function clock(start = NOW) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v), advance: (s: number) => (t += s) };
}

/**
 * An exchange over a DynamoDB table, with a federation key and a controllable clock (and, when
 * given, a sink the full list is published to after every change).
 */
export async function testExchange(
  client: DynamoDBClient,
  tableName: string,
  time = clock(),
  options: { trustListSink?: TrustListSink; laneLeases?: LaneLeaseOptions } = {},
) {
  const fed = await testKey();
  const deps = createExchangeDeps({
    client,
    tableName,
    signer: fed.signer,
    federationId: FEDERATION,
    now: time.now,
    ...options,
  });
  return { deps, fed, time, ...exchangeRoutes(deps) };
}
