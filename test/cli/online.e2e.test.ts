/** The CLI against a real federation over HTTP (the embedded runtime, started in this process). */
import { existsSync } from 'node:fs';
import { issue } from '../../functions/cli/commands/issue';
import { keysGenerate, keysPublish, keysRevoke, keysRotate } from '../../functions/cli/commands/keys';
import { trustListFetch, trustListShow } from '../../functions/cli/commands/trust-list';
import { verify } from '../../functions/cli/commands/verify';
import { EXIT, type CliError } from '../../functions/cli/errors';
import type { Federation } from '../../functions/embedded/federation';
import { HOLDER, startTestFederation, type ProvinceState } from '../kit/federation';
import { hcxAsync, tempDir } from './fixtures';

const tmp = tempDir();
let fed: Federation;
let zj: ProvinceState;
let gd: ProvinceState;

beforeAll(async () => {
  fed = await startTestFederation();
  [zj, gd] = fed.state.provinces;
}, 60_000);
afterAll(async () => {
  await fed?.close();
  tmp.cleanup();
});

async function failure(promise: Promise<unknown>): Promise<CliError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: CliError) => e,
  );
}

/** Zhejiang at the exchange, signing with its enrollment key. */
const asZhejiang = () => ({
  exchange: fed.state.exchangeUrl,
  region: zj.region,
  enrollmentKey: zj.enrollmentKeyFile,
});

/** A fresh key file, generated and published for Zhejiang; its kid. */
async function publishedKey(name: string): Promise<string> {
  const key = tmp.file(name);
  const { data } = await keysGenerate({ out: key });
  await keysPublish({ ...asZhejiang(), key });
  return data.kid;
}

describe('hcx against a running federation', () => {
  it('issues, verifies online and offline, publishes and revokes a key, and reports status', async () => {
    const qr = tmp.file('code.png');
    const trustList = tmp.file('trust-list.jws');
    const key = tmp.file('fresh.json');

    const issued = await issue({
      node: zj.url,
      token: zj.internalToken,
      ...HOLDER,
      status: 'green',
      qr,
    });
    const online = await verify({ code: issued.data.code, node: gd.url });
    const fetched = await trustListFetch({
      exchange: fed.state.exchangeUrl,
      federationJwks: fed.state.federationJwks,
      out: trustList,
    });
    const offline = await verify({
      qr,
      offline: true,
      trustList,
      federationJwks: fed.state.federationJwks,
    });
    const generated = await keysGenerate({ out: key });
    const published = await keysPublish({ ...asZhejiang(), key });
    const revoked = await keysRevoke({ ...asZhejiang(), kid: generated.data.kid, reason: 'retired' });
    const status = await hcxAsync('status', '--state-file', fed.stateFile, '--json');
    const audited = await hcxAsync('status', '--state-file', fed.stateFile, '--audit');

    expect(issued.exitCode).toBe(EXIT.OK);
    expect(issued.data.code).toMatch(/^HCX2:/);
    expect(online).toMatchObject({ exitCode: EXIT.OK, data: { result: 'valid', status: 'green' } });
    expect(fetched.exitCode).toBe(EXIT.OK);
    expect(offline).toMatchObject({ exitCode: EXIT.OK, data: { result: 'valid', status: 'green' } });
    expect(published.data.exchange?.status).toBe(201);
    expect(revoked.data.exchange?.status).toBe(200);
    expect(status.status).toBe(EXIT.OK);
    const report = JSON.parse(status.stdout) as {
      exchange: { error?: string; trustList?: { version: number } };
      nodes: { error?: string }[];
    };
    expect(report.exchange.error).toBeUndefined();
    expect(report.nodes.map((n) => n.error)).toEqual([undefined, undefined, undefined]);
    expect(audited.status).toBe(EXIT.OK);
    expect(audited.stdout.match(/audit consistent/g)).toHaveLength(3);
    for (const secret of [fed.state.operatorToken, ...fed.state.provinces.map((p) => p.internalToken)]) {
      expect(status.stdout + status.stderr).not.toContain(secret);
    }
  }, 60_000);

  it('rotates a key: the new one is in the verified trust list, the old one revoked as superseded', async () => {
    const oldKid = await publishedKey('rotate-old.json');
    const out = tmp.file('rotate-new.json');

    const rotated = await keysRotate({
      ...asZhejiang(),
      kid: oldKid,
      out,
      federationJwks: fed.state.federationJwks,
      waitSeconds: 20,
      pollMs: 200,
    });
    const shown = await trustListShow({
      file: (
        await trustListFetch({
          exchange: fed.state.exchangeUrl,
          federationJwks: fed.state.federationJwks,
          out: tmp.file('after-rotation.jws'),
        })
      ).data.file,
      federationJwks: fed.state.federationJwks,
    });

    expect(rotated.exitCode).toBe(EXIT.OK);
    expect(rotated.data).toMatchObject({ oldKid, oldRevoked: true });
    const keys = shown.data.provinces.find((p) => p.region === zj.region)?.keys ?? [];
    expect(keys.find((k) => k.kid === rotated.data.newKid)).toMatchObject({ status: 'active' });
    expect(keys.find((k) => k.kid === oldKid)).toMatchObject({ status: 'revoked', reason: 'superseded' });
  }, 30_000);

  it('refuses to rotate a key that is already revoked, before generating anything (exit 2)', async () => {
    const kid = await publishedKey('revoked-first.json');
    await keysRevoke({ ...asZhejiang(), kid, reason: 'retired' });
    const out = tmp.file('never-written.json');

    const e = await failure(
      keysRotate({ ...asZhejiang(), kid, out, federationJwks: fed.state.federationJwks }),
    );

    expect(e.exitCode).toBe(EXIT.USAGE);
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('reports the exchange refusing a key published twice with its problem code (exit 3)', async () => {
    const key = tmp.file('twice.json');
    await keysGenerate({ out: key });
    await keysPublish({ ...asZhejiang(), key });

    const e = await failure(keysPublish({ ...asZhejiang(), key }));

    expect(e).toMatchObject({ exitCode: EXIT.SERVICE, status: 409, code: 'KEY_ALREADY_KNOWN' });
  }, 30_000);

  it('reports a wrong token as a 401 service error without showing the token (exit 3)', async () => {
    const token = 'not-the-internal-token';

    const e = await failure(issue({ node: zj.url, token, ...HOLDER, status: 'green' }));

    expect(e).toMatchObject({ exitCode: EXIT.SERVICE, status: 401, code: 'UNAUTHORIZED' });
    expect(e.message).not.toContain(token);
  });

  it('reports a request signed with a key that is not the enrollment key as a 401 (exit 3)', async () => {
    const stranger = tmp.file('stranger.json');
    await keysGenerate({ out: stranger });

    const e = await failure(keysPublish({ ...asZhejiang(), enrollmentKey: stranger, key: stranger }));

    expect(e).toMatchObject({ exitCode: EXIT.SERVICE, status: 401 });
  });
});
