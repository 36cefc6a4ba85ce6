/**
 * SECURITY.md "What the operator can and cannot do", for code revocations (issue 19, item 1): an
 * insider who can write the exchange's table (the operator, a database administrator, on `npm start`
 * anyone with the embedded engine) and who even holds the federation key appends a `code.revoked`
 * entry for another province's code straight into the table, to deny its holder service. Every
 * verifier of the list refuses it: the exchange's own fold (it will not sign the list), a node's sync
 * (delta and full list), openTrustList (which the checkpoint page runs), the CLI and the replica
 * audit, with PROVINCE_SIGNATURE_INVALID for a wrongly signed revocation and SCHEMA_INVALID for an
 * unsigned one (the format requires the signed request). The victim's code stays valid.
 */
import { TrustListRejected } from '../../functions/core/errors';
import { generateSigningKey } from '../../functions/core/keys';
import type {
  CodeRevocation,
  LogEntry,
  TrustList,
  TrustListDelta,
} from '../../functions/core/schemas/types.gen';
import { LocalKeySigner } from '../../functions/core/signer';
import { makeEntry } from '../../functions/core/trustlist/log';
import {
  federationKeys,
  openTrustList,
  signDelta,
  signTrustList,
} from '../../functions/core/trustlist/trust-list';
import { CliError } from '../../functions/cli/errors';
import { openTrustListWith } from '../../functions/cli/trust';
import { DynamoExchangeRepository } from '../../functions/exchange/dynamo-repository';
import { auditReplica } from '../../functions/province/replica-audit';
import {
  claimsOf,
  expectProblem,
  issue,
  now,
  reasonsAt,
  request,
  signedRequest,
  startFakeExchange,
  startSecurityFederation,
  startVerifierNode,
  type FakeExchange,
  type Issued,
  type SecurityFederation,
  type VerifierNode,
} from './helpers';

let s: SecurityFederation;
let fake: FakeExchange;
let exchange: string;
let fedId: string;
const nodes: VerifierNode[] = [];

const payloadOf = <T>(jws: string): T =>
  JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as T;
const jose = (body: string) => ({ status: 200, body, headers: { 'content-type': 'application/jose' } });
const isFull = (path: string) => path === '/v1/trust-list';
const jwks = () => s.fed.state.federationJwks as { keys: object[] };
const GD = () => s.gd.region;

const node = async (): Promise<VerifierNode> => {
  const n = await startVerifierNode(s.fed, { exchangeUrl: fake.url });
  nodes.push(n);
  return n;
};

/** A `code.revoke` of `victim` signed by `signer` as if it were Guangdong's, and the row it makes. */
async function revocationSignedBy(signer: LocalKeySigner, victim: Issued): Promise<CodeRevocation> {
  const exp = claimsOf(victim.code).exp as number;
  const jws = await signedRequest(signer, fedId, GD(), {
    op: 'code.revoke',
    codes: [{ jti: victim.codeId, exp }],
  });
  return {
    region: GD(),
    jti: victim.codeId,
    exp,
    revokedAt: payloadOf<{ iat: number }>(jws).iat,
    request: jws,
  };
}

let n: VerifierNode;
let victim: Issued;
let heldVersion: number;
let planted: LogEntry;
let forgedRow: CodeRevocation;

beforeAll(async () => {
  s = await startSecurityFederation();
  exchange = s.fed.state.exchangeUrl;
  fedId = s.fed.state.federationId;
  fake = await startFakeExchange(exchange);

  // A node in sync with the honest federation, and a genuine code of 440000 it verifies valid.
  n = await node();
  victim = await issue(s.gd);
  expect((await n.sync()).result).toBe('updated');
  heldVersion = (await n.deps.repository.getReplica())!.list.version;
  expect(await reasonsAt(n.url, victim.code)).toEqual([]);

  // Straight into the table: prev and hash are easy to compute. The request is the best an insider
  // can do without 440000's enrollment key: one it signed itself, naming 440000 and the victim.
  const insider = await LocalKeySigner.fromPrivateJwk((await generateSigningKey()).privateJwk);
  forgedRow = await revocationSignedBy(insider, victim);
  const { region: _region, ...data } = forgedRow;
  const repo = new DynamoExchangeRepository(s.fed.context.client, s.fed.context.exchange.tableName);
  const head = await repo.lastEntry();
  planted = makeEntry(head, {
    seq: (head?.seq ?? 0) + 1,
    at: now(),
    type: 'code.revoked',
    region: GD(),
    data,
  });
  expect(await repo.appendEntry(planted)).toBe(true);
  await repo.project([planted]);
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((v) => v.close()));
  await fake?.close();
  await s?.fed.close();
});

/** The list and delta an insider holding the federation key would sign with `row` in them. */
async function insiderDocuments(
  row: Omit<CodeRevocation, 'request'> & { request?: string },
): Promise<{ list: string; delta: string }> {
  const honest = (await n.deps.repository.getReplica())!.list;
  const t = now();
  const withRow = {
    ...honest,
    version: planted.seq,
    logHead: planted.hash,
    issuedAt: t,
    expiresAt: t + 86_400,
    codeRevocations: [...honest.codeRevocations, row],
  } as TrustList;
  // The delta from the node's version: the honest entries in between, then the planted one (with
  // its data replaced by `row`'s, hash recomputed: the insider controls the whole chain it signs).
  const repo = new DynamoExchangeRepository(s.fed.context.client, s.fed.context.exchange.tableName);
  const count = planted.seq - 1 - heldVersion;
  const between = count > 0 ? await repo.readLog(heldVersion, count) : [];
  const { region: _region, ...data } = row;
  const last = makeEntry(between.at(-1) ?? ({ seq: heldVersion, hash: honest.logHead } as LogEntry), {
    seq: planted.seq,
    at: planted.at,
    type: 'code.revoked',
    region: GD(),
    data: data as never,
  });
  const delta: TrustListDelta = {
    federation: fedId,
    fromVersion: heldVersion,
    version: planted.seq,
    issuedAt: t,
    expiresAt: t + 86_400,
    logHead: last.hash,
    entries: [...between, last],
  };
  return {
    list: await signTrustList(s.federationSigner, { ...withRow, logHead: last.hash }),
    delta: await signDelta(s.federationSigner, delta),
  };
}

/** Every verifier of the list, given the insider's documents: each refuses with `reason`. */
async function expectEveryVerifierRefuses(
  docs: { list: string; delta: string },
  reason: 'PROVINCE_SIGNATURE_INVALID' | 'SCHEMA_INVALID',
): Promise<void> {
  // A node's sync: the delta (falling back to the full list), and a fresh node's full list.
  fake.script = (path) => (isFull(path) ? jose(docs.list) : jose(docs.delta));
  expect(await n.sync()).toMatchObject({ result: 'failed', error: reason });
  expect((await n.deps.repository.getReplica())!.list.version).toBe(heldVersion);
  const fresh = await node();
  expect(await fresh.sync()).toMatchObject({ result: 'failed', error: reason });
  expect(await fresh.deps.repository.getReplica()).toBeUndefined();
  fake.script = () => undefined;

  // openTrustList (what sync, the CLI, the replica audit and the checkpoint page all run).
  const keys = federationKeys(jwks(), fedId);
  const opened = await openTrustList(docs.list, keys, { now: now() }).catch((e: unknown) => e);
  expect(opened).toBeInstanceOf(TrustListRejected);
  expect((opened as TrustListRejected).reason).toBe(reason);

  // The CLI (`hcx trust-list show`, `hcx verify --offline`).
  const cli = await openTrustListWith(docs.list, jwks(), 'the trust list', { now: now() }).catch(
    (e: unknown) => e,
  );
  expect(cli).toBeInstanceOf(CliError);
  expect((cli as CliError).message).toMatch(
    reason === 'PROVINCE_SIGNATURE_INVALID'
      ? /a code revocation its province did not sign for with its enrollment key/
      : /its content is not a valid trust list/,
  );

  // The replica audit: a replica whose evidence is the forged list, or the genuine list then the
  // forged delta.
  const list = payloadOf<TrustList>(docs.list);
  expect(
    await auditReplica(
      { list, evidence: { base: docs.list, baseAcceptedAt: now(), deltas: [] } } as never,
      keys,
    ),
  ).toMatchObject({ result: 'inconsistent', reason, at: 'base' });
  const genuine = (await n.deps.repository.getReplica())!;
  expect(
    await auditReplica(
      {
        list,
        evidence: {
          ...genuine.evidence,
          deltas: [...genuine.evidence.deltas, { jws: docs.delta, acceptedAt: now() }],
        },
      } as never,
      keys,
    ),
  ).toMatchObject({ result: 'inconsistent', reason });

  // Whatever the verifiers were offered, the victim's code stays valid.
  expect(await reasonsAt(n.url, victim.code)).toEqual([]);
}

describe('an insider appends a code.revoked entry straight into the exchange table', () => {
  it('the exchange itself refuses to sign a list with the entry: 502 TRUST_LIST_REJECTED', async () => {
    const res = await request(`${exchange}/v1/trust-list`);
    expectProblem(res, 502, 'TRUST_LIST_REJECTED');
  });

  it('every verifier refuses the federation-signed list and delta with PROVINCE_SIGNATURE_INVALID', async () => {
    await expectEveryVerifierRefuses(await insiderDocuments(forgedRow), 'PROVINCE_SIGNATURE_INVALID');
  });

  it('a genuine code.revoke of the province, for another code, attached to the victim is refused the same way', async () => {
    // 440000's own signed request revoking one of its other codes (what the log and list expose).
    const other = await issue(s.gd);
    const exp = claimsOf(other.code).exp as number;
    const genuine = await signedRequest(s.enrollment[GD()], fedId, GD(), {
      op: 'code.revoke',
      codes: [{ jti: other.codeId, exp }],
    });
    const replayed = {
      ...forgedRow,
      exp,
      request: genuine,
      revokedAt: payloadOf<{ iat: number }>(genuine).iat,
    };
    await expectEveryVerifierRefuses(await insiderDocuments(replayed), 'PROVINCE_SIGNATURE_INVALID');
  });

  it('an unsigned revocation (the format before the request was kept) is refused with SCHEMA_INVALID', async () => {
    const { request: _request, ...unsigned } = forgedRow;
    await expectEveryVerifierRefuses(await insiderDocuments(unsigned), 'SCHEMA_INVALID');
  });
});
