import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { keysGenerate, keysPublish, keysRevoke } from '../../functions/cli/commands/keys';
import { EXIT, type CliError } from '../../functions/cli/errors';
import { LocalKeySigner } from '../../functions/core/signer';
import { closedUrl, tempDir, ZJ } from './fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function failure(promise: Promise<unknown>): Promise<CliError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: CliError) => e,
  );
}

describe('hcx keys generate', () => {
  it.each(['ES256', 'EdDSA', 'SM2'])(
    'writes a usable %s private key readable only by its owner and reports its kid',
    async (alg) => {
      const out = tmp.file(`key-${alg}.json`);

      const result = await keysGenerate({ alg, out });

      expect(result.exitCode).toBe(EXIT.OK);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const signer = await LocalKeySigner.fromPrivateJwk(JSON.parse(readFileSync(out, 'utf8')));
      expect(signer.kid).toBe(result.data.kid);
      expect(signer.alg).toBe(alg);
      expect(result.lines[0]).toBe(result.data.kid);
    },
  );

  it('refuses to replace an existing file unless --force is given', async () => {
    const out = tmp.file('existing.json');
    writeFileSync(out, 'keep me');

    const refused = await failure(keysGenerate({ out }));
    const forced = await keysGenerate({ out, force: true });

    expect(refused.exitCode).toBe(EXIT.INPUT);
    expect(forced.exitCode).toBe(EXIT.OK);
  });

  it('rejects an unknown algorithm as a usage error', async () => {
    const e = await failure(keysGenerate({ alg: 'HS256', out: tmp.file('hs.json') }));

    expect(e.exitCode).toBe(EXIT.USAGE);
  });
});

describe('hcx keys publish and revoke', () => {
  it('report an unreachable exchange as a service error (exit 3) after checking the inputs', async () => {
    const key = tmp.file('publish.json');
    await keysGenerate({ out: key });
    const exchange = await closedUrl();

    const e = await failure(keysPublish({ exchange, region: ZJ, enrollmentKey: key, key }));

    expect(e.exitCode).toBe(EXIT.SERVICE);
  });

  it('refuse a missing enrollment key file before any request (exit 4)', async () => {
    const key = tmp.file('publish2.json');
    await keysGenerate({ out: key });

    const e = await failure(
      keysPublish({
        exchange: 'http://127.0.0.1:9',
        region: ZJ,
        enrollmentKey: tmp.file('missing.json'),
        key,
      }),
    );

    expect(e.exitCode).toBe(EXIT.INPUT);
  });

  it('refuse a lifetime beyond the federation maximum and a malformed kid as usage errors', async () => {
    const key = tmp.file('publish3.json');
    await keysGenerate({ out: key });

    const longLife = await failure(
      keysPublish({
        exchange: 'http://127.0.0.1:9',
        region: ZJ,
        enrollmentKey: key,
        key,
        notAfterDays: 5000,
      }),
    );
    const badKid = await failure(
      keysRevoke({
        exchange: 'http://127.0.0.1:9',
        region: ZJ,
        enrollmentKey: key,
        kid: '../x',
        reason: 'retired',
      }),
    );

    expect(longLife.exitCode).toBe(EXIT.USAGE);
    expect(badKid.exitCode).toBe(EXIT.USAGE);
  });
});
