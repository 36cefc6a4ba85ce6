/**
 * Rules every schema in schemas/ must follow, checked by walking each one: registered and named by
 * its $id, valid 2020-12, compiles in strict mode, closed objects, bounded strings, arrays and
 * numbers, and a maxLength on every pattern (the ReDoS guard: a pattern never sees a long input).
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { REASON_CODES } from '../../functions/core/errors';
import { SCHEMA_DOCUMENTS, SCHEMA_IDS } from '../../functions/core/schemas/validators';
import { validatorFor } from '../../functions/core/schemas/validators-by-id';

type Schema = Record<string, unknown>;

const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schemas');
const BASE = 'https://hcx.example/schemas/';
const files = fs
  .readdirSync(SCHEMA_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const documents = files.map(
  (f) => [f, JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8'))] as const,
);

const MAP_KEYWORDS = ['properties', '$defs', 'patternProperties', 'dependentSchemas'];
const ONE_KEYWORDS = [
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
];
const LIST_KEYWORDS = ['oneOf', 'anyOf', 'allOf', 'prefixItems'];

interface Visit {
  readonly schema: Schema;
  readonly at: string;
  /** Reached through if/then/else: a condition on an object defined elsewhere, not an object of its own. */
  readonly conditional: boolean;
}

/** Every subschema of `schema`, with its JSON pointer. */
function* walk(schema: unknown, at: string, conditional = false): Generator<Visit> {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
  const s = schema as Schema;
  yield { schema: s, at, conditional };
  for (const k of MAP_KEYWORDS) {
    const map = s[k];
    if (map && typeof map === 'object') {
      for (const [name, sub] of Object.entries(map)) yield* walk(sub, `${at}/${k}/${name}`, conditional);
    }
  }
  for (const k of ONE_KEYWORDS) {
    if (k in s) yield* walk(s[k], `${at}/${k}`, conditional || k === 'if' || k === 'then' || k === 'else');
  }
  for (const k of LIST_KEYWORDS) {
    const list = s[k];
    if (Array.isArray(list))
      for (const [i, sub] of list.entries()) yield* walk(sub, `${at}/${k}/${i}`, conditional);
  }
}

const allVisits = documents.flatMap(([file, doc]) => [...walk(doc, file)]);

const isObjectSchema = (s: Schema): boolean => s.type === 'object' || 'properties' in s;
const types = (s: Schema): unknown[] => (Array.isArray(s.type) ? s.type : [s.type]);

describe('the schema files', () => {
  it('are all registered with the validators, in file-name order', () => {
    // Prepare
    const registered = SCHEMA_DOCUMENTS.map((d) => d.$id);

    // Act
    const expected = files.map((f) => `${BASE}${f}`);

    // Assert
    expect(registered).toEqual(expected);
  });

  it.each(documents)('%s is named by its $id and declares JSON Schema 2020-12', (file, doc) => {
    expect(doc.$id).toBe(`${BASE}${file}`);
    expect(doc.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(typeof doc.title).toBe('string');
  });

  it.each(documents)('%s is a valid 2020-12 schema', (_file, doc) => {
    // Prepare: a separate instance that meta-validates (the runtime one skips it for cold start).
    const ajv = new Ajv2020({ strict: false });

    // Act
    const valid = ajv.validateSchema(doc);

    // Assert
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it.each(Object.entries(SCHEMA_IDS))('%s compiles in strict mode', (_name, id) => {
    expect(typeof validatorFor(id)).toBe('function');
  });

  it('has no $ref outside the local document or https://hcx.example/schemas/', () => {
    const refs = allVisits.map((v) => v.schema.$ref).filter((r): r is string => typeof r === 'string');

    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref.startsWith('#/') || ref.startsWith(BASE)).toBe(true);
  });
});

describe('every subschema', () => {
  it('closes its objects with additionalProperties: false (unions close each branch instead)', () => {
    const open: string[] = [];
    for (const { schema, at, conditional } of allVisits) {
      if (conditional || !isObjectSchema(schema)) continue;
      if (Array.isArray(schema.oneOf)) {
        // A union root: every branch is a $ref to a closed object, and it adds no property of its own.
        if ('properties' in schema || !schema.oneOf.every((b: Schema) => typeof b.$ref === 'string'))
          open.push(at);
      } else if (schema.additionalProperties !== false) {
        open.push(at);
      }
    }

    expect(open).toEqual([]);
  });

  it('names in if/then/else only properties its object already declares', () => {
    const strays: string[] = [];
    for (const { schema, at } of allVisits) {
      for (const k of ['if', 'then', 'else']) {
        const cond = schema[k] as Schema | undefined;
        const declared = Object.keys((schema.properties as Schema | undefined) ?? {});
        const named = Object.keys((cond?.properties as Schema | undefined) ?? {});
        for (const n of named) if (!declared.includes(n)) strays.push(`${at}/${k}/properties/${n}`);
      }
    }

    expect(strays).toEqual([]);
  });

  it('gives every string with a pattern a maxLength, and anchors the pattern', () => {
    const patterned = allVisits.filter((v) => 'pattern' in v.schema);
    const unbounded = patterned.filter((v) => typeof v.schema.maxLength !== 'number').map((v) => v.at);
    const unanchored = patterned.filter((v) => !/^\^.*\$$/.test(String(v.schema.pattern))).map((v) => v.at);

    expect(patterned.length).toBeGreaterThan(10);
    expect(unbounded).toEqual([]);
    expect(unanchored).toEqual([]);
  });

  it('bounds every string, array and number', () => {
    const unbounded: string[] = [];
    for (const { schema, at } of allVisits) {
      const t = types(schema);
      const fixed = 'const' in schema || 'enum' in schema;
      if (t.includes('string') && !fixed && typeof schema.maxLength !== 'number') unbounded.push(at);
      if (t.includes('array') && typeof schema.maxItems !== 'number') unbounded.push(at);
      if ((t.includes('integer') || t.includes('number')) && !fixed) {
        if (typeof schema.minimum !== 'number' || typeof schema.maximum !== 'number') unbounded.push(at);
      }
    }

    expect(unbounded).toEqual([]);
  });
});

describe('the verification result schema', () => {
  it('lists exactly the reason codes of functions/core/errors.ts', () => {
    // Prepare
    const doc = documents.find(([f]) => f === 'verification-result.json')?.[1];

    // Act
    const codes = doc.$defs.reasonCode.enum;

    // Assert
    expect(codes).toEqual([...REASON_CODES]);
  });
});
