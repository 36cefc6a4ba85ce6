import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isValidResidentId } from '../../functions/core/schemas/validators';
import { buildOpenApi, openApiResponse } from '../../functions/openapi/build';
import { schemaComponents } from '../../functions/openapi/components';
import { ROUTES } from '../../functions/routes';
import { GD, issueRequest, province, trustList, ZJ } from '../core/fixtures';

type Doc = {
  paths: Record<
    string,
    Record<string, { tags: string[]; security: unknown[]; responses: Record<string, unknown> }>
  >;
  components: { schemas: Record<string, unknown> };
};

const doc = buildOpenApi() as unknown as Doc;

/**
 * Validate with @seriousme/openapi-schema-validator (the OAS 3.1 schema plus $ref resolution). The
 * package is ESM-only and reads its schemas through import.meta.url, which jest's CommonJS transform
 * cannot provide, so it runs in a child Node process.
 */
function validateWithOasValidator(document: object): { valid: boolean; errors?: unknown } {
  const dir = mkdtempSync(join(tmpdir(), 'hcx-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const entry = require.resolve('@seriousme/openapi-schema-validator');
    const script = [
      `const { Validator } = await import(${JSON.stringify(`file://${entry}`)});`,
      'const v = new Validator();',
      'const r = await v.validate(process.argv[1]);',
      'process.stdout.write(JSON.stringify({ ...r, version: v.version }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, file], {
      encoding: 'utf8',
    });
    return JSON.parse(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ajv over the OpenAPI document itself, so component references resolve as an OpenAPI tool sees them. */
function componentValidator(name: string) {
  const ajv = new Ajv2020({ strict: false, discriminator: false });
  addFormats(ajv);
  ajv.addFormat('gb11643', { type: 'string', validate: isValidResidentId });
  ajv.addSchema({ ...buildOpenApi(), $id: 'https://hcx.example/openapi.json' });
  const v = ajv.getSchema(`https://hcx.example/openapi.json#/components/schemas/${name}`);
  if (!v) throw new Error(`no component ${name}`);
  return v;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document whose references all resolve', () => {
    const result = validateWithOasValidator(doc);

    expect(result).toMatchObject({ valid: true, version: '3.1' });
  });

  it('the validator rejects a document with a dangling reference (the check is not vacuous)', () => {
    const broken = structuredClone(doc) as Doc & Record<string, unknown>;
    (broken.paths['/v1/codes'].post as unknown as Record<string, unknown>).requestBody = {
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } },
    };

    expect(validateWithOasValidator(broken).valid).toBe(false);
  });

  it('describes every route of the route table with its method, tag and success status', () => {
    for (const route of ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];

      expect({ route: `${route.method} ${route.path}`, present: op !== undefined }).toEqual({
        route: `${route.method} ${route.path}`,
        present: true,
      });
      expect(op.tags).toEqual([route.service === 'exchange' ? 'exchange' : 'province-node']);
      expect(Object.keys(op.responses)).toContain(String(route.successStatus));
    }
  });

  it('lists no operation that the route table does not have, besides /openapi.json itself', () => {
    const routes = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => ['get', 'post', 'delete', 'put', 'patch'].includes(k))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );

    expect(documented.filter((r) => !routes.has(r))).toEqual(['GET /openapi.json']);
  });

  it('requires IAM or the local bearer token on operator and internal routes only', () => {
    for (const route of ROUTES) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      const protectedRoute = route.auth === 'operator' || route.auth === 'internal';

      expect(op.security).toEqual(protectedRoute ? [{ awsSigV4: [] }, { localBearer: [] }] : []);
    }
  });

  it('answers problem details for errors, 401 only where a caller authenticates', () => {
    const verify = doc.paths['/v1/codes/verify'].post.responses;
    const publish = doc.paths['/v1/provinces/{region}/keys'].post.responses;

    expect(verify['400']).toEqual({ $ref: '#/components/responses/BadRequest' });
    expect(verify['401']).toBeUndefined();
    expect(Object.keys(publish)).toEqual(
      expect.arrayContaining(['400', '401', '404', '409', '413', '415', '503']),
    );
  });

  it('is what docs/openapi.json holds (run `npx tsx scripts/gen-openapi.ts` after changing a source)', () => {
    const checkedIn = JSON.parse(readFileSync(resolve(__dirname, '../../docs/openapi.json'), 'utf8'));

    expect(checkedIn).toEqual(buildOpenApi());
  });

  it('keeps the meaning of the schemas: a trust list and an issue request pass, an extra member fails', async () => {
    const list = trustList([await province(ZJ), await province(GD, 'EdDSA')]);
    const isTrustList = componentValidator('TrustList');
    const isIssueRequest = componentValidator('IssueRequest');

    expect(isTrustList(list)).toBe(true);
    expect(isIssueRequest(issueRequest())).toBe(true);
    expect(isTrustList({ ...list, extra: 1 })).toBe(false);
    expect(
      isIssueRequest(
        issueRequest({ holder: { name: '张三', idType: '10', idNumber: '110105194912310021' } }),
      ),
    ).toBe(false);
  });

  it('refuses to build when two schemas share a title', () => {
    const a = { $id: 'https://hcx.example/schemas/a.json', title: 'Same', type: 'string' };
    const b = { $id: 'https://hcx.example/schemas/b.json', title: 'Same', type: 'integer' };

    expect(() => schemaComponents([a, b])).toThrow(/share the title/);
  });

  it('is served by openApiResponse() as an API Gateway answer', () => {
    const response = openApiResponse();

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(response.body as string)).toEqual(buildOpenApi());
  });
});
