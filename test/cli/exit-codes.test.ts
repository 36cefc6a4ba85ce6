/** bin/hcx.js as a user runs it: documented exit codes, `hcx: <message>` errors, no stack, no secret. */
import { writeFileSync } from 'node:fs';
import { issue } from '../../functions/cli/commands/issue';
import { status } from '../../functions/cli/commands/status';
import { verify } from '../../functions/cli/commands/verify';
import { EXIT, ServiceError } from '../../functions/cli/errors';
import {
  closedUrl,
  hcx,
  ID_NUMBER,
  issuedCode,
  savedFederation,
  stubService,
  tamper,
  tempDir,
  type SavedFederation,
} from './fixtures';

const tmp = tempDir();
let fed: SavedFederation;
let code: string;

beforeAll(async () => {
  fed = await savedFederation(tmp.dir);
  code = await issuedCode(fed.zj, fed.now);
});
afterAll(() => tmp.cleanup());

describe('bin/hcx.js', () => {
  it('exits 0 with the result as JSON for a valid code verified offline', () => {
    const r = hcx(
      'verify',
      code,
      '--offline',
      '--trust-list',
      fed.trustListFile,
      '--federation-jwks',
      fed.federationJwksFile,
      '--json',
    );

    expect(r.status).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'valid', status: 'green' });
  });

  it('exits 1 for a tampered code and says why', () => {
    const r = hcx(
      'verify',
      tamper(code),
      '--offline',
      '--trust-list',
      fed.trustListFile,
      '--federation-jwks',
      fed.federationJwksFile,
    );

    expect(r.status).toBe(EXIT.NOT_VALID);
    expect(r.stdout).toMatch(/^INVALID/);
    expect(r.stdout).toContain('SIGNATURE_INVALID');
  });

  it('exits 2 with a helpful message for an unknown option, and prints no stack', () => {
    const r = hcx('verify', code, '--offlin');

    expect(r.status).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/^hcx: Unknown argument: offlin/);
    expect(r.stderr).toContain('--help');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 when verify gets neither --node nor --offline', () => {
    const r = hcx('verify', code);

    expect(r.status).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('--node URL');
  });

  it('exits 4 when the state file does not exist', () => {
    const r = hcx('status', '--state-file', tmp.file('no-such-state.json'));

    expect(r.status).toBe(EXIT.INPUT);
    expect(r.stderr).toMatch(/^hcx: cannot read the state file .*: no such file/);
  });

  it('exits 3 when the node cannot be reached, saying what to check', async () => {
    const r = hcx('verify', code, '--node', await closedUrl());

    expect(r.status).toBe(EXIT.SERVICE);
    expect(r.stderr).toMatch(/^hcx: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('exits 2 for holder flags that fail the schema, without echoing the ID number', () => {
    const badNumber = ID_NUMBER.replace('X', '1');
    const r = hcx(
      'issue',
      '--node',
      'http://127.0.0.1:9',
      '--token',
      't',
      '--name',
      '张三',
      '--id-type',
      '10',
      '--id-number',
      badNumber,
      '--status',
      'green',
    );

    expect(r.status).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('idNumber');
    expect(r.stderr).not.toContain(badNumber);
  });
});

describe('service errors (stub services)', () => {
  it('a node answering 503 problem details is a retryable service error naming its code', async () => {
    const stub = await stubService(503, {
      type: 'about:blank',
      title: 'Temporarily unavailable, retry later',
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      retryable: true,
    });
    try {
      const e = await verify({ code, node: stub.url }).catch((x: unknown) => x);

      expect(e).toBeInstanceOf(ServiceError);
      expect(e).toMatchObject({ exitCode: EXIT.SERVICE, status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await stub.close();
    }
  });

  it('a 401 from the node never shows the token or the holder ID number', async () => {
    const token = 'secret-token-value-123';
    const stub = await stubService(401, {
      type: 'about:blank',
      title: 'Authentication failed',
      status: 401,
      code: 'UNAUTHORIZED',
    });
    try {
      const e = (await issue({
        node: stub.url,
        token,
        name: '张三',
        idType: '10',
        idNumber: ID_NUMBER,
        status: 'green',
      }).catch((x: unknown) => x)) as ServiceError;

      expect(e).toMatchObject({ exitCode: EXIT.SERVICE, status: 401, code: 'UNAUTHORIZED' });
      expect(e.message).not.toContain(token);
      expect(e.message).not.toContain(ID_NUMBER);
    } finally {
      await stub.close();
    }
  });

  it('status reports an unreachable exchange and node and exits 3', async () => {
    const down = await closedUrl();

    const result = await status({ exchange: down, nodes: [{ url: down, token: 't' }] });

    expect(result.exitCode).toBe(EXIT.SERVICE);
    expect(result.data.exchange?.error).toContain('cannot reach');
    expect(result.data.nodes[0].error).toContain('cannot reach');
  });

  it('status --audit exits 3 naming the reason when the replica of a node does not re-derive from its evidence', async () => {
    // prepare: a node whose registry answers an inconsistent audit
    const stub = await stubService(
      200,
      {
        version: 7,
        ageSeconds: 30,
        expiresAt: '2026-11-28T00:00:00.000Z',
        lastSync: null,
        audit: { result: 'inconsistent', version: 7, deltas: 2, reason: 'LIST_MISMATCH' },
      },
      'application/json',
    );
    try {
      // act
      const result = await status({ nodes: [{ url: stub.url, token: 't', region: '330000' }], audit: true });

      // assert
      expect(result.exitCode).toBe(EXIT.SERVICE);
      expect(result.lines.join('\n')).toContain('audit inconsistent (LIST_MISMATCH)');
    } finally {
      await stub.close();
    }
  });

  it('an issue request file that is not JSON is an input file error (exit 4)', async () => {
    const file = tmp.file('request.json');
    writeFileSync(file, '{"holder": ');

    const e = await issue({ node: 'http://127.0.0.1:9', token: 't', request: file }).catch((x: unknown) => x);

    expect(e).toMatchObject({ exitCode: EXIT.INPUT });
  });
});
