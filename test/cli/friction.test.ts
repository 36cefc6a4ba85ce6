/**
 * What a new user tripped over in the CLI: a code issued and then lost to an unwritable `--qr`,
 * errors that name the wrong flag, a dead federation's state file, and a saved trust list of
 * another federation silently replaced.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { issue } from '../../functions/cli/commands/issue';
import { trustListFetch } from '../../functions/cli/commands/trust-list';
import { EXIT, InputFileError, ServiceError, UsageError } from '../../functions/cli/errors';
import { loadState } from '../../functions/cli/state';
import { signCompactJws } from '../../functions/core/jws/sign';
import { generateSigningKey } from '../../functions/core/keys';
import { TRUST_LIST_PROFILE } from '../../functions/core/profiles';
import { LocalKeySigner } from '../../functions/core/signer';
import { province, trustList, ZJ } from '../core/fixtures';
import { selfAuthenticated } from '../kit/province-proof';
import { ID_NUMBER, tempDir } from './fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const CODE_ID = 'A'.repeat(22);
const CODE = 'HCX1:aaaa.bbbb.cccc';

/** A node stub that counts issue requests and answers each with a code (after `beforeAnswer`). */
async function issuingNode(beforeAnswer: () => void = () => undefined) {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      beforeAnswer();
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ code: CODE, codeId: CODE_ID, expiresAt: '2030-01-01T00:00:00Z', qr: '<svg/>' }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const holder = { name: '张三', idType: '10', idNumber: ID_NUMBER, status: 'green' };

describe('hcx issue --qr', () => {
  it('refuses an unwritable path before anything is issued (exit 4, no request sent)', async () => {
    const node = await issuingNode();
    try {
      const e = await issue({
        node: node.url,
        token: 't',
        ...holder,
        qr: tmp.file('missing/code.png'),
      }).catch((x: unknown) => x);

      expect(e).toBeInstanceOf(InputFileError);
      expect(e).toMatchObject({ exitCode: EXIT.INPUT });
      expect((e as Error).message).toMatch(/^cannot write .*missing\/code\.png: no such file/);
      expect(node.requests()).toBe(0);
    } finally {
      await node.close();
    }
  });

  it('prints the code and its id when the image cannot be written after issuance (exit 4)', async () => {
    const folder = tmp.file('vanishing');
    mkdirSync(folder);
    // the folder disappears while the node issues: the check passed, the write fails
    const node = await issuingNode(() => rmSync(folder, { recursive: true, force: true }));
    try {
      const result = await issue({ node: node.url, token: 't', ...holder, qr: `${folder}/code.png` });

      expect(node.requests()).toBe(1);
      expect(result.exitCode).toBe(EXIT.INPUT);
      expect(result.lines.slice(0, 2)).toEqual([CODE, expect.stringContaining(`code ${CODE_ID}`)]);
      expect(result.data).toMatchObject({ code: CODE, codeId: CODE_ID, qrFile: null });
      expect(result.errors?.[0]).toMatch(/^cannot write .*: no such file; the code above is issued/);
      expect(result.errors?.[0]).toContain(`/v1/codes/${CODE_ID}/revoke`);
    } finally {
      await node.close();
    }
  });
});

describe('messages', () => {
  it('a bad --validity names --validity, not the holder', async () => {
    const e = await issue({ node: 'http://127.0.0.1:9', token: 't', ...holder, validity: 5 }).catch(
      (x: unknown) => x,
    );

    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(
      /^--validity is not valid: \/validitySeconds: .*60 to 604800 seconds/,
    );
  });

  it('a bad --id-number names --id-number and never echoes it', async () => {
    const bad = ID_NUMBER.replace('X', '1');
    const e = await issue({ node: 'http://127.0.0.1:9', token: 't', ...holder, idNumber: bad }).catch(
      (x: unknown) => x,
    );

    expect((e as Error).message).toMatch(/^--id-number is not valid: \/holder\/idNumber/);
    expect((e as Error).message).not.toContain(bad);
  });

  it("a stopped federation's state file says the federation is not running (exit 3)", () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const file = tmp.file('stale-state.json');
    writeFileSync(
      file,
      JSON.stringify({
        federationId: 'hcx-local-00000000',
        pid: dead,
        exchangeUrl: 'http://127.0.0.1:9',
        operatorToken: 't',
        federationJwks: { keys: [] },
        provinces: [{ region: ZJ, name: 'Zhejiang', url: 'http://127.0.0.1:9', internalToken: 't' }],
      }),
    );

    const e = (() => {
      try {
        loadState(file);
        return undefined;
      } catch (x) {
        return x;
      }
    })();

    expect(e).toBeInstanceOf(ServiceError);
    expect(e).toMatchObject({ exitCode: EXIT.SERVICE });
    expect((e as Error).message).toMatch(
      /the federation of .* is not running \(its process \d+ has stopped\)/,
    );
  });
});

describe('hcx trust-list fetch over a saved list', () => {
  const now = Math.floor(Date.now() / 1000);

  async function federation(id: string) {
    const key = await generateSigningKey('ES256');
    const signer = await LocalKeySigner.fromPrivateJwk(key.privateJwk);
    const zj = await province(ZJ);
    // The province's requests name the federation: sign them for this one.
    const list = selfAuthenticated({
      ...trustList([zj], {
        issuedAt: now - 60,
        expiresAt: now + 86_400,
        key: () => ({ notBefore: now - 86_400, notAfter: now + 300 * 86_400 }),
      }),
      federation: id,
    });
    const jws = await signCompactJws(signer, TRUST_LIST_PROFILE.typ, list);
    return { jws, jwks: { keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256' }] } };
  }

  async function exchangeServing(jws: string) {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/jose' });
      res.end(jws);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  it.each([
    ['another id', 'hcx-local-bbbbbbbb', /holds a trust list of federation hcx-local-bbbbbbbb/],
    ['the same id, another key', 'hcx-local-aaaaaaaa', /another federation also called hcx-local-aaaaaaaa/],
  ])(
    'refuses to replace a list of another federation (%s): exit 4, file kept',
    async (_case, id, message) => {
      const mine = await federation('hcx-local-aaaaaaaa');
      const theirs = await federation(id);
      const out = tmp.file(`saved-${id}.jws`);
      writeFileSync(out, `${theirs.jws}\n`);
      const exchange = await exchangeServing(mine.jws);
      try {
        const e = await trustListFetch({ exchange: exchange.url, federationJwks: mine.jwks, out }).catch(
          (x: unknown) => x,
        );

        expect(e).toBeInstanceOf(InputFileError);
        expect((e as Error).message).toMatch(message);
        expect(readFileSync(out, 'utf8')).toBe(`${theirs.jws}\n`);
      } finally {
        await exchange.close();
      }
    },
  );

  it('still replaces its own federation’s older list, and a file that is no trust list', async () => {
    const mine = await federation('hcx-local-aaaaaaaa');
    const out = tmp.file('not-a-list.jws');
    writeFileSync(out, 'hello\n');
    const exchange = await exchangeServing(mine.jws);
    try {
      const result = await trustListFetch({ exchange: exchange.url, federationJwks: mine.jwks, out });

      expect(result.exitCode).toBe(EXIT.OK);
      expect(readFileSync(out, 'utf8')).toBe(`${mine.jws}\n`);
    } finally {
      await exchange.close();
    }
  });
});
