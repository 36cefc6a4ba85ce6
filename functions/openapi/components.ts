/**
 * JSON Schemas (schemas/*.json, JSON Schema 2020-12) turned into OpenAPI 3.1 `components.schemas`.
 *
 * OpenAPI 3.1 speaks 2020-12, so the schemas are carried over unchanged except for where they live:
 * every schema file and every `$defs` entry becomes one named component (its `title`), and every
 * `$ref` (cross-file `https://hcx.example/schemas/x.json#/$defs/y` or local `#/$defs/y`) is rewritten
 * to `#/components/schemas/<Title>`. `$id` and `$schema` are dropped, so no reference depends on a
 * base URI that OpenAPI tools resolve differently. Discriminators get an explicit `mapping`, since
 * the implicit one (by component name) would not match values such as `EC` or `key.publish`.
 */

/** A JSON Schema object (or any JSON value inside one). */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Where the components live inside the OpenAPI document. */
export const COMPONENT_REF = '#/components/schemas/';

/** A schema document whose only content is `$defs` (common.json) gives no component of its own. */
const ANNOTATIONS_ONLY = new Set(['$schema', '$id', 'title', 'description', '$defs']);

function isObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The components built from the schema documents, and the name given to each `$id` / `$id#/$defs/x`. */
export interface SchemaComponents {
  readonly schemas: Record<string, JsonObject>;
  /** `$id` or `$id#/$defs/<name>` -> component name. */
  readonly names: ReadonlyMap<string, string>;
}

/** Name every schema document and `$defs` entry by its title; a missing or duplicate title is a build error. */
function nameAll(documents: readonly JsonObject[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Map<string, string>();
  const claim = (id: string, schema: JsonObject) => {
    const title = schema.title;
    if (typeof title !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(title)) {
      throw new Error(`OpenAPI: ${id} needs a title usable as a component name`);
    }
    const other = taken.get(title);
    if (other !== undefined) throw new Error(`OpenAPI: ${id} and ${other} share the title ${title}`);
    taken.set(title, id);
    names.set(id, title);
  };
  for (const doc of documents) {
    const id = doc.$id;
    if (typeof id !== 'string') throw new Error('OpenAPI: every schema document needs an $id');
    if (Object.keys(doc).some((k) => !ANNOTATIONS_ONLY.has(k))) claim(id, doc);
    const defs = doc.$defs;
    if (isObject(defs)) {
      for (const [name, def] of Object.entries(defs)) {
        if (!isObject(def)) throw new Error(`OpenAPI: ${id}#/$defs/${name} is not a schema`);
        claim(`${id}#/$defs/${name}`, def);
      }
    }
  }
  return names;
}

/** Rewrite every `$ref` under `node` (found in document `baseId`) to a component reference. */
function rewrite(node: Json, baseId: string, names: ReadonlyMap<string, string>): Json {
  if (Array.isArray(node)) return node.map((x) => rewrite(x, baseId, names));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref') {
      if (typeof value !== 'string') throw new Error(`OpenAPI: a $ref in ${baseId} is not a string`);
      const target = value.startsWith('#') ? `${baseId}${value}` : value;
      const name = names.get(target);
      if (name === undefined) throw new Error(`OpenAPI: ${baseId} refers to ${value}, which is no component`);
      out.$ref = `${COMPONENT_REF}${name}`;
    } else if (key !== '$defs' && key !== '$id' && key !== '$schema') {
      out[key] = rewrite(value, baseId, names);
    }
  }
  return out;
}

/** Give every `discriminator` an explicit mapping from each branch's `const` tag to its component. */
function mapDiscriminators(schemas: Record<string, JsonObject>): void {
  for (const [name, schema] of Object.entries(schemas)) {
    const discriminator = schema.discriminator;
    if (!isObject(discriminator)) continue;
    const property = discriminator.propertyName;
    const branches = schema.oneOf;
    if (typeof property !== 'string' || !Array.isArray(branches)) {
      throw new Error(`OpenAPI: the discriminator of ${name} needs propertyName and oneOf`);
    }
    const mapping: JsonObject = {};
    for (const branch of branches) {
      const ref = isObject(branch) ? branch.$ref : undefined;
      const target = typeof ref === 'string' ? schemas[ref.slice(COMPONENT_REF.length)] : undefined;
      const props = target?.properties;
      const tag = isObject(props) && isObject(props[property]) ? props[property].const : undefined;
      if (typeof tag !== 'string' || typeof ref !== 'string') {
        throw new Error(`OpenAPI: a branch of ${name} has no const ${property}`);
      }
      mapping[tag] = ref;
    }
    schema.discriminator = { ...discriminator, mapping };
  }
}

/** Build `components.schemas` from the schema documents (see the module comment). */
export function schemaComponents(documents: readonly Readonly<Record<string, unknown>>[]): SchemaComponents {
  const docs = documents.map((d) => structuredClone(d) as JsonObject);
  const names = nameAll(docs);
  const schemas: Record<string, JsonObject> = {};
  for (const doc of docs) {
    const id = doc.$id as string;
    const own = names.get(id);
    if (own !== undefined) schemas[own] = rewrite(doc, id, names) as JsonObject;
    if (isObject(doc.$defs)) {
      for (const [defName, def] of Object.entries(doc.$defs)) {
        if (isObject(def) && def.$defs !== undefined) {
          throw new Error(`OpenAPI: nested $defs in ${id}#/$defs/${defName} are not supported`);
        }
        schemas[names.get(`${id}#/$defs/${defName}`) as string] = rewrite(def, id, names) as JsonObject;
      }
    }
  }
  mapDiscriminators(schemas);
  const sorted: Record<string, JsonObject> = {};
  for (const key of Object.keys(schemas).sort()) sorted[key] = schemas[key];
  return { schemas: sorted, names };
}
