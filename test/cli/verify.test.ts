import { readFileSync, writeFileSync } from 'node:fs';
import { trustListShow } from '../../functions/cli/commands/trust-list';
import { verify } from '../../functions/cli/commands/verify';
import { EXIT, type CliError } from '../../functions/cli/errors';
import { readQr, writeQr } from '../../functions/cli/qr';
import { qrText } from '../../functions/core/code/format';
import { decodeQrPng } from '../kit/qr';
import { generateSigningKey } from '../../functions/core/keys';
import { ID_NUMBER, issuedCode, savedFederation, tamper, tempDir, type SavedFederation } from './fixtures';

const tmp = tempDir();
let fed: SavedFederation;
let code: string;

beforeAll(async () => {
  fed = await savedFederation(tmp.dir);
  code = await issuedCode(fed.zj, fed.now);
});
afterAll(() => tmp.cleanup());

const offline = (over: Partial<Parameters<typeof verify>[0]> = {}) =>
  verify({
    code,
    offline: true,
    trustList: fed.trustListFile,
    federationJwks: fed.federationJwksFile,
    ...over,
  });

async function failure(promise: Promise<unknown>): Promise<CliError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: CliError) => e,
  );
}

describe('hcx verify --offline', () => {
  it('answers valid (exit 0) for a code checked against a trust list signed by the federation key', async () => {
    const result = await offline();

    expect(result.exitCode).toBe(EXIT.OK);
    expect(result.data).toMatchObject({ result: 'valid', status: 'green', issuer: { region: '330000' } });
  });

  it('answers invalid (exit 1) with SIGNATURE_INVALID for a tampered code', async () => {
    const result = await offline({ code: tamper(code) });

    expect(result.exitCode).toBe(EXIT.NOT_VALID);
    expect(result.data.reasons.map((r) => r.code)).toContain('SIGNATURE_INVALID');
  });

  it('checks the holder binding against the presented document without printing its number', async () => {
    const result = await offline({ idType: '10', idNumber: ID_NUMBER });

    expect(result.data.holder?.bound).toBe(true);
    expect(JSON.stringify(result)).not.toContain(ID_NUMBER);
  });

  it('refuses a trust list whose payload was altered after signing (exit 4)', async () => {
    const [h, p, s] = readFileSync(fed.trustListFile, 'utf8').trim().split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    payload.version += 1;
    const altered = tmp.file('altered.jws');
    writeFileSync(altered, `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`);

    const e = await failure(offline({ trustList: altered }));

    expect(e.exitCode).toBe(EXIT.INPUT);
  });

  it('refuses a trust list signed by a key that is not the federation key (exit 4)', async () => {
    const other = await generateSigningKey('ES256');
    const jwks = tmp.file('other.jwks.json');
    writeFileSync(jwks, JSON.stringify({ keys: [other.publicJwk] }));

    const e = await failure(offline({ federationJwks: jwks }));

    expect(e.exitCode).toBe(EXIT.INPUT);
  });

  it('answers indeterminate (exit 1) with TRUST_LIST_STALE when the saved list has expired', async () => {
    const result = await offline({
      code: await issuedCode(fed.zj, fed.now + 3 * 86_400),
      now: fed.now + 3 * 86_400,
    });

    expect(result.exitCode).toBe(EXIT.NOT_VALID);
    expect(result.data.reasons.map((r) => r.code)).toContain('TRUST_LIST_STALE');
  });

  it('needs a code or a QR image, and either a node or --offline (usage errors)', async () => {
    const neither = await failure(
      verify({ offline: true, trustList: fed.trustListFile, federationJwks: fed.federationJwksFile }),
    );
    const noMode = await failure(verify({ code }));

    expect(neither.exitCode).toBe(EXIT.USAGE);
    expect(noMode.exitCode).toBe(EXIT.USAGE);
  });
});

describe('QR images', () => {
  it('a code written as a PNG decodes back to the same code, which verifies with --qr', async () => {
    const png = tmp.file('code.png');
    await writeQr(png, code);

    const result = await offline({ code: undefined, qr: png });

    expect(readQr(png)).toBe(code);
    // What any reader sees: the numeric QR form, exactly (jsQR is independent of the qrcode writer).
    expect(decodeQrPng(png)).toBe(qrText(code));
    expect(result.data.result).toBe('valid');
  });

  it('a code written as SVG is an SVG document', async () => {
    const svg = tmp.file('code.svg');

    await writeQr(svg, code);

    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });

  it('a PNG without a QR symbol is an input file error (exit 4)', async () => {
    const blank = tmp.file('blank.png');
    const { PNG } = await import('pngjs');
    const image = new PNG({ width: 64, height: 64 });
    image.data.fill(255);
    writeFileSync(blank, PNG.sync.write(image));

    const e = await failure(offline({ code: undefined, qr: blank }));

    expect(e.exitCode).toBe(EXIT.INPUT);
  });
});

describe('an expired saved trust list', () => {
  const later = () => fed.now + 3 * 86_400;

  it('is shown, marked expired, rather than refused', async () => {
    const result = await trustListShow({
      file: fed.trustListFile,
      federationJwks: fed.federationJwks,
      now: later(),
    });

    expect(result.data).toMatchObject({ version: 7, expired: true });
  });

  it('is still refused when altered: expiry relaxes the clock, never the signature (exit 4)', async () => {
    const [h, p, s] = readFileSync(fed.trustListFile, 'utf8').trim().split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    payload.provinces = payload.provinces.slice(1);
    const altered = tmp.file('altered-expired.jws');
    writeFileSync(altered, `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`);

    const e = await failure(offline({ trustList: altered, now: later() }));

    expect(e.exitCode).toBe(EXIT.INPUT);
  });
});

describe('hcx trust-list show', () => {
  it('shows the verified version, age and each province with its keys', async () => {
    const result = await trustListShow({
      file: fed.trustListFile,
      federationJwks: fed.federationJwks,
      now: fed.now,
    });

    expect(result.data).toMatchObject({ version: 7, ageSeconds: 60, expired: false });
    expect(result.data.provinces.map((p) => [p.region, p.keys.length])).toEqual([
      ['330000', 1],
      ['440000', 1],
    ]);
  });
});
