/** Property tests (fast-check): tampering is always caught, and verification never throws. */
import fc from 'fast-check';
import { verifyCode } from '../../functions/core/code/verify';
import { JwsRejected } from '../../functions/core/errors';
import { parseCompactJws } from '../../functions/core/jws/compact';
import { CODE_PROFILE } from '../../functions/core/profiles';
import type { RegistrySnapshot } from '../../functions/core/registry';
import { NOW, ZJ, province, snapshot, code } from './fixtures';

describe('verifyCode properties', () => {
  let registry: RegistrySnapshot;
  let valid: string;
  beforeAll(async () => {
    const zj = await province(ZJ);
    registry = await snapshot([zj]);
    valid = (await code(zj)).code;
  });

  it('rejects any single-character change to a valid code', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length - 1 }),
        fc.integer({ min: 0x20, max: 0x7e }),
        async (at, ch) => {
          fc.pre(valid.charCodeAt(at) !== ch);
          const tampered = valid.slice(0, at) + String.fromCharCode(ch) + valid.slice(at + 1);
          const result = await verifyCode(tampered, registry, { now: NOW });
          expect(result.result).toBe('invalid');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects any single-byte change to the decoded header, payload or signature', async () => {
    const parts = valid
      .slice(5)
      .split('.')
      .map((p) => Buffer.from(p, 'base64url'));
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (part, pos, xor) => {
          const bytes = Buffer.from(parts[part]);
          bytes[pos % bytes.length] ^= xor;
          const segments = parts.map((p, i) => (i === part ? bytes : p).toString('base64url'));
          const result = await verifyCode(`HCX2:${segments.join('.')}`, registry, { now: NOW });
          expect(result.result).toBe('invalid');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws and never accepts arbitrary input', async () => {
    const token = fc.oneof(
      fc.string(),
      fc.string().map((s) => `HCX2:${s}`),
      fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((t) => `HCX2:${t.join('.')}`),
      fc
        .json()
        .map(
          (j) => `HCX2:${Buffer.from(j).toString('base64url')}.${Buffer.from(j).toString('base64url')}.AAAA`,
        ),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(token, async (input) => {
        const result = await verifyCode(input, registry, { now: NOW });
        expect(result.result).toBe('invalid');
        expect(result.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a JWS in place after a prefix exactly as the JWS alone', async () => {
    // verifyCode parses a text-form code in place (parseCompactJws with `start`): the outcome must
    // be that of the JWS cut out of it, for valid tokens and any tampered or arbitrary one.
    const outcome = (parse: () => unknown) => {
      try {
        const jws = parse() as ReturnType<typeof parseCompactJws>;
        return {
          kid: jws.kid,
          alg: jws.alg.name,
          payload: jws.payload,
          signingInput: Buffer.from(jws.signingInput).toString('latin1'),
          signature: Buffer.from(jws.signature).toString('hex'),
        };
      } catch (e) {
        return { rejected: e instanceof JwsRejected ? e.reason : `threw ${String(e)}` };
      }
    };
    const jws = valid.slice(5);
    const tampered = fc
      .tuple(fc.nat({ max: jws.length - 1 }), fc.integer({ min: 0x20, max: 0x7e }))
      .map(([at, ch]) => jws.slice(0, at) + String.fromCharCode(ch) + jws.slice(at + 1));
    const cut = fc
      .tuple(fc.nat({ max: jws.length }), fc.nat({ max: jws.length }))
      .map(([a, b]) => jws.slice(Math.min(a, b), Math.max(a, b)));
    await fc.assert(
      fc.property(
        fc.oneof(fc.constant(jws), tampered, cut, fc.string()),
        fc.string({ maxLength: 8 }),
        (token, prefix) => {
          const inPlace = outcome(() => parseCompactJws(prefix + token, CODE_PROFILE, prefix.length));
          expect(inPlace).toEqual(outcome(() => parseCompactJws(token, CODE_PROFILE)));
        },
      ),
      { numRuns: 3000 },
    );
    expect(outcome(() => parseCompactJws(`HCX2:${jws}`, CODE_PROFILE, 5))).toMatchObject({ alg: 'ES256' });
  });
});
