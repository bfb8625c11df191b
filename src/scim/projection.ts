import type { AttributePath } from './filter/ast.ts'
import type { AttributeDefinition, SchemaRegistry } from './schema/types.ts'

export type ScimResource = Record<string, unknown>

export interface Projection {
  /** `attributes=`: only these (plus those returned always). */
  attributes?: readonly AttributePath[] | undefined
  /** `excludedAttributes=`: all default ones but these. */
  excludedAttributes?: readonly AttributePath[] | undefined
  /**
   * True for list and search answers. Attributes an administrator must ask for one user at a
   * time (the offline one-time password) never appear there, even when asked for: a page of
   * users must not become a page of secrets.
   */
  listing: boolean
}

interface Wanted {
  whole: boolean
  subAttributes: Set<string>
}

const key = (schemaId: string, name: string) => `${schemaId.toLowerCase()}|${name.toLowerCase()}`

function index(paths: readonly AttributePath[] | undefined, registry: SchemaRegistry): Map<string, Wanted> {
  const result = new Map<string, Wanted>()
  for (const path of paths ?? []) {
    // A schema URN alone names all of that schema's attributes (RFC 7644 §3.10: an extension
    // is a complex attribute named by its URN); it reads as an attribute of a shorter URN.
    const schema =
      path.schema && !path.subAttribute ? registry.schema(`${path.schema}:${path.attribute}`) : undefined
    if (schema) {
      // Not those returned only on request (the one-time password): they must be named.
      for (const attribute of schema.attributes)
        if (attribute.returned !== 'request')
          result.set(key(schema.id, attribute.name), { whole: true, subAttributes: new Set<string>() })
      continue
    }
    // Names that resolve to nothing are ignored: asking for an attribute the server lacks
    // returns the resource without it, as for an attribute without a value.
    const resolved = registry.resolve(path)
    if (!resolved) continue
    const entry = result.get(key(resolved.schema.id, resolved.attribute.name)) ?? {
      whole: false,
      subAttributes: new Set<string>(),
    }
    if (resolved.subAttribute) entry.subAttributes.add(resolved.subAttribute.name)
    else entry.whole = true
    result.set(key(resolved.schema.id, resolved.attribute.name), entry)
  }
  return result
}

function keepSubAttributes(value: unknown, names: Set<string>): unknown {
  const pick = (element: unknown) =>
    element && typeof element === 'object'
      ? Object.fromEntries(Object.entries(element).filter(([name]) => names.has(name)))
      : element
  return Array.isArray(value) ? value.map(pick) : pick(value)
}

function project(
  schemaId: string,
  source: ScimResource,
  definitions: readonly AttributeDefinition[],
  wanted: Map<string, Wanted>,
  excluded: Map<string, Wanted>,
  options: Projection & { neverListed: ReadonlySet<string> },
): ScimResource {
  const result: ScimResource = {}
  for (const definition of definitions) {
    if (!(definition.name in source)) continue
    const value = source[definition.name]
    const id = key(schemaId, definition.name)
    if (definition.returned === 'never') continue
    if (options.listing && options.neverListed.has(id)) continue
    if (definition.returned === 'always') {
      result[definition.name] = value
      continue
    }
    const asked = wanted.get(id)
    if (options.attributes && options.attributes.length > 0) {
      if (!asked) continue
      result[definition.name] = asked.whole ? value : keepSubAttributes(value, asked.subAttributes)
      continue
    }
    if (definition.returned === 'request') continue
    const dropped = excluded.get(id)
    if (dropped?.whole) continue
    result[definition.name] = dropped
      ? keepSubAttributes(
          value,
          new Set(
            (definition.subAttributes ?? [])
              .map((sub) => sub.name)
              .filter((name) => !dropped.subAttributes.has(name)),
          ),
        )
      : value
  }
  return result
}

/** Applies `attributes` / `excludedAttributes` and the `returned` characteristic (RFC 7644 §3.9). */
export function projectResource(
  resource: ScimResource,
  registry: SchemaRegistry,
  projection: Projection,
  neverListed: ReadonlySet<string> = new Set(),
): ScimResource {
  const wanted = index(projection.attributes, registry)
  const excluded = index(projection.excludedAttributes, registry)
  // Written out, never spread: literals that spread are built in V8's slow path, and their
  // objects outlive the request (promoted to the old generation), a cost every later request
  // shares through longer collections.
  const options = {
    attributes: projection.attributes,
    excludedAttributes: projection.excludedAttributes,
    listing: projection.listing,
    neverListed,
  }
  const schemas = [registry.core.id]
  const result: ScimResource = { schemas }
  const core = project(registry.core.id, resource, registry.core.attributes, wanted, excluded, options)
  // meta last, as in RFC 7643's examples: readers look for the attributes first.
  let meta: unknown
  for (const name in core) {
    if (name === 'meta') meta = core[name]
    else if (name !== 'schemas') result[name] = core[name]
  }
  for (const extension of registry.extensions) {
    const source = resource[extension.id]
    if (!source || typeof source !== 'object') continue
    const projected = project(
      extension.id,
      source as ScimResource,
      extension.attributes,
      wanted,
      excluded,
      options,
    )
    if (Object.keys(projected).length === 0) continue
    result[extension.id] = projected
    schemas.push(extension.id)
  }
  if (meta !== undefined) result.meta = meta
  return result
}

/** The key `projectResource` uses for `neverListed` entries. */
export const attributeKey = key
