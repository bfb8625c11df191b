/**
 * What a PATCH path points at: an attribute of the core schema or an extension, optionally
 * one sub-attribute, optionally a value filter selecting elements of a multi-valued complex
 * attribute. Every problem with an explicit path is an `invalidPath` naming it.
 */
import { isScimError, scimError } from '../errors.ts'
import type { Filter, PatchPath } from '../filter/ast.ts'
import { findSubAttribute, validateFilter } from '../filter/evaluate.ts'
import { quote } from '../filter/lexer.ts'
import { parsePatchPath } from '../filter/path.ts'
import type {
  AttributeDefinition,
  ResolvedAttribute,
  SchemaDefinition,
  SchemaRegistry,
} from '../schema/types.ts'

export interface Target {
  /** The path as the client wrote it, quoted for messages. */
  label: string
  schema: SchemaDefinition
  attribute: AttributeDefinition
  /** `name.givenName`, `emails.value` (every element) or `emails[…].value` (matched elements). */
  sub?: AttributeDefinition | undefined
  /** `emails[type eq "work"]`: the elements of `attribute` the operation applies to. */
  filter?: Filter | undefined
}

/**
 * Paths resolved before, per registry: clients send the same few paths over and over, and
 * parsing and resolving one costs more than applying it. Bounded, as paths carry filter values.
 */
const resolvedPaths = new WeakMap<SchemaRegistry, Map<string, Target>>()
const MAX_RESOLVED_PATHS = 256

/** Resolves an operation's `path`. */
export function resolvePath(text: string, registry: SchemaRegistry): Target {
  let known = resolvedPaths.get(registry)
  if (!known) {
    known = new Map()
    resolvedPaths.set(registry, known)
  }
  let target = known.get(text)
  if (!target) {
    target = Object.freeze(resolveNewPath(text, registry))
    if (known.size >= MAX_RESOLVED_PATHS) known.delete(known.keys().next().value!)
    known.set(text, target)
  }
  return target
}

function resolveNewPath(text: string, registry: SchemaRegistry): Target {
  const parsed = parsePatchPath(text)
  const label = quote(text)
  const resolved = lookUp(parsed, registry, undefined)
  if (!resolved) throw unknownAttribute(parsed, text, registry)
  const sub = subAttributeOf(parsed, resolved.attribute)
  if (subName(parsed) !== undefined && !sub) throw unknownSubAttribute(resolved.attribute, parsed, label)
  return finish(parsed, resolved, sub, label, registry)
}

/**
 * Resolves a key of a path-less operation's value (`displayName`, `name.givenName`,
 * `urn:…:User:employeeNumber`, or a name inside an extension's object when `scope` is that
 * extension). Keys that name nothing known are undefined: path-less values are ignored
 * where they do not fit the schema, as clients echo back whole resources.
 */
export function resolveKey(
  key: string,
  registry: SchemaRegistry,
  scope: SchemaDefinition | undefined,
): Target | undefined {
  let parsed: PatchPath
  try {
    parsed = parsePatchPath(key)
  } catch (error) {
    if (isScimError(error)) return undefined
    throw error
  }
  const resolved = lookUp(parsed, registry, scope)
  if (!resolved) return undefined
  const sub = subAttributeOf(parsed, resolved.attribute)
  if (subName(parsed) !== undefined && !sub) return undefined
  return finish(parsed, resolved, sub, quote(key), registry)
}

function lookUp(
  parsed: PatchPath,
  registry: SchemaRegistry,
  scope: SchemaDefinition | undefined,
): ResolvedAttribute | undefined {
  const schema = parsed.path.schema ?? scope?.id
  return registry.resolve({ schema, attribute: parsed.path.attribute })
}

/** The parser allows a sub-attribute either before a value filter or after it, never both. */
function subName(parsed: PatchPath): string | undefined {
  return parsed.path.subAttribute ?? parsed.subAttribute
}

function subAttributeOf(parsed: PatchPath, attribute: AttributeDefinition): AttributeDefinition | undefined {
  const name = subName(parsed)
  return name === undefined ? undefined : findSubAttribute(attribute, name)
}

function finish(
  parsed: PatchPath,
  resolved: ResolvedAttribute,
  sub: AttributeDefinition | undefined,
  label: string,
  registry: SchemaRegistry,
): Target {
  const { schema, attribute } = resolved
  const filter = parsed.valueFilter
  if (filter) {
    if (attribute.type !== 'complex' || !attribute.multiValued)
      throw scimError.invalidPath(
        `${label}: a value filter selects elements of a multi-valued complex attribute such as emails, and ${attribute.name} is not one`,
      )
    checkFilter(filter, schema, attribute, label, registry)
  }
  return { label, schema, attribute, sub, filter }
}

/** The filter's sub-attributes must exist and its literals fit them, as in a search filter. */
function checkFilter(
  filter: Filter,
  schema: SchemaDefinition,
  attribute: AttributeDefinition,
  label: string,
  registry: SchemaRegistry,
): void {
  try {
    validateFilter(
      { kind: 'valuePath', path: { schema: schema.id, attribute: attribute.name }, filter },
      registry,
    )
  } catch (error) {
    if (isScimError(error) && error.scimType === 'invalidFilter')
      throw scimError.invalidPath(`The value filter of ${label} is not valid: ${error.message}`)
    throw error
  }
}

function unknownAttribute(parsed: PatchPath, text: string, registry: SchemaRegistry): Error {
  const label = quote(text)
  const named = registry.schema(text)
  if (named) {
    const example = named.attributes[0]?.name ?? 'name'
    return scimError.invalidPath(
      `${label} names a schema, not an attribute: name one of its attributes, as in ${quote(`${named.id}:${example}`)}, or leave the path out and send {${quote(named.id)}: {…}} as the value`,
    )
  }
  const { schema } = parsed.path
  if (schema !== undefined && !registry.schema(schema))
    return scimError.invalidPath(`Unknown schema ${quote(schema)} in the path ${label}`)
  return scimError.invalidPath(`Unknown attribute ${quote(parsed.path.attribute)} in the path ${label}`)
}

function unknownSubAttribute(attribute: AttributeDefinition, parsed: PatchPath, label: string): Error {
  if (attribute.type !== 'complex')
    return scimError.invalidPath(`${label}: ${attribute.name} has no sub-attributes`)
  const known = (attribute.subAttributes ?? []).map((sub) => sub.name).join(', ')
  return scimError.invalidPath(
    `${label}: ${attribute.name} has no sub-attribute ${quote(subName(parsed) ?? '')}; it has ${known}`,
  )
}
