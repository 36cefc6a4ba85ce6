/**
 * The error catalogue is closed: every code and reason the source spells is in
 * functions/core/error-catalogue.ts, every entry there is used, each code answers with its
 * catalogue status and title, the docs never give a code another status, and the contract's
 * generated Errors tables match the catalogue.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AUTHENTICATION_REASONS,
  DELETION_REPORT_REASONS,
  ERROR_CODES,
  ERRORS,
  HcxError,
  JWS_REASONS,
  KEY_REASONS,
  REASON_CATALOGUES,
  toHcxError,
  TRUST_LIST_REASONS,
  VERIFICATION_REASONS,
  type ErrorCode,
} from '../../functions/core/errors';
import { problemResponse } from '../../functions/http';

const ROOT = path.resolve(__dirname, '..', '..');
const CATALOGUE = path.join('functions', 'core', 'error-catalogue.ts');
const CONTRACT_FILE = path.join(ROOT, 'docs', 'contract.md');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...sourceFiles(rel));
    } else if (/\.tsx?$/.test(entry.name) && !/\.gen\.ts$/.test(entry.name) && rel !== CATALOGUE) {
      out.push(rel);
    }
  }
  return out;
}

/** Every production source file but the catalogue itself, with its text. */
const SOURCES = ['functions', 'bin', 'lib', 'web'].flatMap(sourceFiles).map((file) => ({
  file,
  text: fs.readFileSync(path.join(ROOT, file), 'utf8'),
}));

/** The first string argument of every call matching `prefix(` across the sources, with where. */
function literalsAfter(prefix: RegExp): { value: string; where: string }[] {
  const re = new RegExp(`${prefix.source}\\(\\s*'([A-Z][A-Z0-9_]*)'`, 'g');
  return SOURCES.flatMap(({ file, text }) =>
    [...text.matchAll(re)].map((m) => ({ value: m[1], where: `${file}: ${m[0]}` })),
  );
}

// Each way the source spells a code or a reason, and the catalogue it must belong to.
const SPELLINGS = {
  problem: [
    /new HcxError/,
    /new ResourceConflict/,
    /hasCode\(\w+,/,
    /super/, // the classes of functions/core/errors.ts
    /\brefused/, // the federation rules' refusals (functions/core/rules/codes.ts)
  ],
  jws: [/\breject/], // functions/core/jws/compact.ts
  trustList: [/new TrustListRejected/],
  key: [/new KeyRejected/, /new Sm2KeyError/, /\bkeyRefused/],
  authentication: [/new AuthenticationFailed/, /\bfail/], // fail(): functions/core/signed-request.ts
  deletionReport: [/new DeletionReportRejected/],
  verification: [/\bfailed/], // functions/core/code/verify.ts
} as const;

const found = Object.fromEntries(
  Object.entries(SPELLINGS).map(([kind, prefixes]) => [kind, prefixes.flatMap((p) => literalsAfter(p))]),
) as Record<keyof typeof SPELLINGS, { value: string; where: string }[]>;

/** `super('X'` outside functions/core/errors.ts is some other class: only errors.ts counts. */
found.problem = found.problem.filter(
  (f) => !f.where.includes(': super') || f.where.startsWith(path.join('functions', 'core', 'errors.ts')),
);
/** `fail(\`JWS_${e.reason}\`)`: one authentication reason per JWS reason. */
const jwsAuthentication = SOURCES.some(({ text }) => text.includes('fail(`JWS_${e.reason}`'));
if (jwsAuthentication) {
  found.authentication.push(
    ...JWS_REASONS.map((r) => ({ value: `JWS_${r}`, where: 'signed-request.ts JWS_${e.reason}' })),
  );
}

const CATALOGUE_OF: Record<keyof typeof SPELLINGS, Record<string, unknown>> = {
  problem: ERRORS,
  jws: Object.fromEntries(JWS_REASONS.map((r) => [r, r])),
  trustList: TRUST_LIST_REASONS,
  key: KEY_REASONS,
  authentication: AUTHENTICATION_REASONS,
  deletionReport: DELETION_REPORT_REASONS,
  verification: VERIFICATION_REASONS,
};

describe('the error catalogue', () => {
  it('finds the spellings it checks (the scan itself works)', () => {
    expect(jwsAuthentication).toBe(true);
    for (const [kind, uses] of Object.entries(found)) {
      expect([kind, uses.length > 0]).toEqual([kind, true]);
    }
    expect(found.problem.map((f) => f.value)).toEqual(
      expect.arrayContaining(['EXCHANGE_UNAVAILABLE', 'SHORT_KID_TAKEN']),
    );
  });

  it.each(Object.keys(SPELLINGS) as (keyof typeof SPELLINGS)[])(
    'every %s code spelled in functions/, bin/, lib/, web/ is in the catalogue',
    (kind) => {
      const unknown = found[kind].filter((f) => !(f.value in CATALOGUE_OF[kind])).map((f) => f.where);
      expect(unknown).toEqual([]);
    },
  );

  it.each([
    ['problem', ERRORS],
    ['trustList', TRUST_LIST_REASONS],
    ['key', KEY_REASONS],
    ['authentication', AUTHENTICATION_REASONS],
    ['deletionReport', DELETION_REPORT_REASONS],
  ] as const)('every %s entry of the catalogue is used by the source', (kind, catalogue) => {
    const used = new Set(found[kind].map((f) => f.value));
    // A reason may also be chosen into a variable or a constant first (`const reason = … ? 'A' : 'B'`):
    // a literal in a file that raises that error counts.
    const raisers = SOURCES.filter(({ text }) =>
      SPELLINGS[kind].some((p) => new RegExp(`${p.source}\\(`).test(text)),
    );
    for (const code of Object.keys(catalogue))
      if (raisers.some(({ text }) => text.includes(`'${code}'`))) used.add(code);
    if (kind === 'problem')
      for (const r of JWS_REASONS) if (found.jws.some((f) => f.value === r)) used.add(r);
    expect(Object.keys(catalogue).filter((code) => !used.has(code))).toEqual([]);
  });

  it('every verification reason is produced by the verifier (or by the JWS parser it calls)', () => {
    const verify = fs.readFileSync(path.join(ROOT, 'functions', 'core', 'code', 'verify.ts'), 'utf8');
    const fromJws = new Set(found.jws.map((f) => f.value));
    const unused = Object.keys(VERIFICATION_REASONS).filter(
      (r) => !verify.includes(`'${r}'`) && !fromJws.has(r),
    );
    expect(unused).toEqual([]);
  });

  it.each(ERROR_CODES)('%s answers with its catalogue status, title and problem type', (code: ErrorCode) => {
    const spec: { status: number; title: string; retryable?: boolean } = ERRORS[code];
    const error = new HcxError(code);
    expect([error.status, error.title, error.retryable]).toEqual([
      spec.status,
      spec.title,
      spec.retryable ?? false,
    ]);
    expect(toHcxError(error)).toBe(error);
    const response = problemResponse(error);
    expect(response.statusCode).toBe(spec.status);
    expect(JSON.parse(response.body ?? '')).toMatchObject({
      status: spec.status,
      code,
      title: spec.title,
      type: `https://hcx.example/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    });
    expect(spec.title.length).toBeLessThanOrEqual(256); // schemas/problem-details.json
  });

  it('lists each reason of a catalogue once and every catalogue in the contract', () => {
    expect(REASON_CATALOGUES.map((c) => c.reasons)).toEqual([
      VERIFICATION_REASONS,
      KEY_REASONS,
      TRUST_LIST_REASONS,
      AUTHENTICATION_REASONS,
      DELETION_REPORT_REASONS,
    ]);
  });

  it('the docs never give a code another status than the catalogue', () => {
    const docs = [
      'README.md',
      'SECURITY.md',
      ...fs
        .readdirSync(path.join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => path.join('docs', f)),
      path.join('functions', 'routes.ts'),
      path.join('functions', 'openapi', 'build.ts'),
    ];
    const wrong: string[] = [];
    let checked = 0;
    for (const file of docs) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/\b([1-5]\d\d)`? `?([A-Z][A-Z0-9_]{3,})\b/g)) {
        const spec = (ERRORS as Record<string, { status: number }>)[m[2]];
        if (!spec) continue;
        checked++;
        if (spec.status !== Number(m[1])) wrong.push(`${file}: ${m[0]} (catalogue: ${spec.status})`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(wrong).toEqual([]);
  });

  describe("the contract's generated Errors tables (scripts/gen-errors.ts)", () => {
    let scratch: string;
    beforeAll(() => {
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hcx-gen-errors-'));
    });
    afterAll(() => {
      fs.rmSync(scratch, { recursive: true, force: true });
    });
    const genErrors = (...args: string[]) => {
      const r = spawnSync(TSX, ['scripts/gen-errors.ts', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };

    it('docs/contract.md lists every code with its status and is what the catalogue generates', () => {
      const contract = fs.readFileSync(CONTRACT_FILE, 'utf8');
      for (const code of ERROR_CODES)
        expect(contract).toMatch(new RegExp(`\\| ${ERRORS[code].status} +\\| \`${code}\` +\\|`));
      const r = genErrors('--check');
      expect(r.out).toContain('up to date');
      expect(r.status).toBe(0);
    });

    it('--check exits 1 naming the command that fixes a contract whose table drifted', () => {
      const copy = path.join(scratch, 'contract.md');
      const contract = fs.readFileSync(CONTRACT_FILE, 'utf8');
      const tampered = contract.replace(/\| 409( +)\| `SHORT_KID_TAKEN`/, '| 400$1| `SHORT_KID_TAKEN`');
      expect(tampered).not.toBe(contract);
      fs.writeFileSync(copy, tampered);
      const r = genErrors('--check', '--out', copy);
      expect(r.status).toBe(1);
      expect(r.out).toContain('npm run build:errors');
    });
  });
});
