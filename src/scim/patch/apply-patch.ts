/**
 * SCIM PATCH (RFC 7644 §3.5.2) applied to a resource rendered as JSON: core attributes at the
 * top level, each extension's attributes in an object under its URN, `schemas` listing the
 * extensions present. The caller validates and stores the result; this module knows nothing
 * of storage. The rules, including where they knowingly depart from the RFC for real clients:
 *
 * 1. The body is an object whose `schemas` includes the PatchOp URN (other URNs beside it are
 *    fine) and whose `Operations` (any letter case) is a list of 1 to 1000 operations. Each
 *    has an `op` of add, replace or remove in any case, an optional string `path`, and a
 *    `value`, which add and replace need.
 * 2. Paths name attributes as filters do, case-insensitively, optionally qualified by a schema
 *    URN; one that names nothing known, or does not parse, is invalidPath. An extension's URN
 *    alone is a path too (rule 11).
 * 3. A readOnly attribute or sub-attribute named by a path is a mutability error; an
 *    immutable one may be set only while it has no value (or to the value it already has).
 *    readOnly values inside a value are ignored, as RFC 7643 §2.2 says: clients send back
 *    `id`, `meta` and a member's `display`.
 * 4. Without a path, add and replace take an object whose keys are attribute names, paths
 *    (`name.givenName`, `urn:…:User:employeeNumber`), or schema URNs holding an object of
 *    that schema's attributes; each key is applied as if it were the path. Keys that name
 *    nothing known are ignored, so echoing a whole resource back is harmless.
 * 5. add sets a simple attribute, merges into a complex one, and appends to a multi-valued one
 *    the elements not already there (one is there when an existing element has each
 *    sub-attribute it gives, with the same value). An element written with `primary` true
 *    takes primary from all others; two such in one operation are invalidValue.
 * 6. replace sets a simple attribute or a whole list, but merges into a complex single-valued
 *    attribute, which is what clients expect. Through a value filter it merges the value's
 *    sub-attributes into each matched element, keeping the others and the filtered-on `type`
 *    (or, with `.sub`, sets that sub-attribute of each); add through a filter does the same,
 *    except that a null sub-attribute adds nothing. When the filter matches nothing and is
 *    `eq` comparisons joined by `and`, none of them on `value`, `display` or `$ref`, an element
 *    holding those values is created instead of the RFC's noTarget (Entra ID relies on it);
 *    any other unmatched filter is noTarget, for add as for replace.
 *    `emails.type` without a filter means that sub-attribute of every element, for all ops.
 * 7. remove needs a path (noTarget otherwise). Removing what is absent is no error. With a
 *    path naming a whole multi-valued complex attribute and a value, only the elements with
 *    the given `value`s go (Entra ID removes group members so). Required attributes are the
 *    caller's validation, not this module's.
 * 8. Sub-attribute names in values are put in the schema's spelling; unknown keys are kept as
 *    given, and simple values keep their JSON type ("True" stays a string) for the caller to
 *    coerce.
 * 9. A value of the wrong shape (an object for a string, a list for a single-valued attribute,
 *    a non-object element of a complex list) is invalidValue. A bare id is accepted for a
 *    single-valued complex attribute with a `value` sub-attribute (Entra ID sends `manager`
 *    so). null means "no value": replace with null removes the target, add with null does
 *    nothing, and a null sub-attribute is removed by replace and ignored by add. A new element
 *    of a complex list that gives no writable sub-attribute a value (`{"display": "x"}` as a
 *    group member) is invalidValue, not skipped: the client would not learn nothing was added.
 * 10. An attribute left empty (`[]`, `{}`) is deleted, and so is an empty extension object,
 *    whose URN then leaves `schemas`; adding to a missing extension creates it and lists it.
 * 11. A path that is an extension's URN alone names the container of its attributes (as
 *    `attributes=<URN>` does, RFC 7644 §3.10): add and replace of an object mean the path-less
 *    `{"<URN>": value}`, so both merge the attributes given; remove removes each attribute of
 *    the extension a client may write, and takes no value. The core schema's URN names no
 *    container: its attributes are the resource's own.
 *
 * The input document is not modified unless the caller hands it over (`owned`): operations run
 * in order on a deep copy, and the first failure throws a ScimError naming the operation, so a
 * half-applied copy never escapes. The work one request may cause on long lists is bounded too
 * (budget.ts): beyond it, tooMany.
 */
import { isScimError, ScimError, scimError } from '../errors.ts'
import { quote } from '../filter/lexer.ts'
import type { AttributeDefinition, SchemaDefinition, SchemaRegistry } from '../schema/types.ts'
import { type OperationKind, type PatchOperation, parsePatchBody } from './body.ts'
import { WorkBudget } from './budget.ts'
import { applyChange, type Change } from './operations.ts'
import { describeJson, isRecord, type JsonRecord } from './records.ts'
import { resolveKey, resolvePath } from './target.ts'

export { MAX_OPERATIONS, PATCH_OP_URN } from './body.ts'
export { MAX_PATCH_WORK } from './budget.ts'

/**
 * `owned`: the caller built the document for this call alone and drops it if this throws, so
 * the operations run on it instead of on a deep copy (a few microseconds per PATCH).
 */
export function applyPatch(
  document: Record<string, unknown>,
  body: unknown,
  registry: SchemaRegistry,
  { owned = false }: { owned?: boolean } = {},
): Record<string, unknown> {
  const operations = parsePatchBody(body)
  const result: JsonRecord = owned ? document : structuredClone(document)
  const budget = new WorkBudget()
  for (const operation of operations) {
    try {
      for (const change of changesOf(operation, registry)) applyChange(result, change, registry, budget)
    } catch (error) {
      if (!isScimError(error)) throw error
      throw new ScimError(error.scimType, `Operations[${operation.index}]: ${error.message}`, error.status)
    }
  }
  return result
}

function changesOf(operation: PatchOperation, registry: SchemaRegistry): Change[] {
  const { kind, path, value } = operation
  if (path !== undefined) {
    const extension = extensionNamed(path, registry)
    if (extension) return extensionChanges(kind, extension, value, quote(path), registry)
    return [{ kind, target: resolvePath(path, registry), value }]
  }
  if (kind === 'remove') throw scimError.noTarget('remove needs a "path" naming what to remove')
  if (!isRecord(value))
    throw scimError.invalidValue(
      `${kind} without a "path" takes an object of attributes and their values, not ${describeJson(value)}`,
    )
  const changes: Change[] = []
  for (const [key, inner] of Object.entries(value)) {
    const schema = registry.schema(key)
    if (!schema) {
      addKey(changes, kind, key, inner, undefined, registry)
      continue
    }
    if (!isRecord(inner))
      throw scimError.invalidValue(
        `${kind} without a "path": the schema ${quote(key)} takes an object of its attributes, not ${describeJson(inner)}`,
      )
    for (const [name, attributeValue] of Object.entries(inner))
      addKey(changes, kind, name, attributeValue, schema, registry)
  }
  return changes
}

/** A key of a path-less value (or of an extension's object) as a change; unknown keys add none. */
function addKey(
  changes: Change[],
  kind: OperationKind,
  key: string,
  value: unknown,
  scope: SchemaDefinition | undefined,
  registry: SchemaRegistry,
): void {
  const target = resolveKey(key, registry, scope)
  // readOnly values in a request are ignored (RFC 7643 §2.2), unlike a path naming one.
  if (!target || target.attribute.mutability === 'readOnly' || target.sub?.mutability === 'readOnly') return
  changes.push({ kind, target, value })
}

/** The extension a path names whole (its URN alone), or undefined. The core schema is no container. */
function extensionNamed(path: string, registry: SchemaRegistry): SchemaDefinition | undefined {
  const schema = registry.schema(path.trim())
  return schema && schema !== registry.core ? schema : undefined
}

/**
 * Rule 11: an extension's URN as the path names the container of its attributes, as it does in
 * `attributes=` (RFC 7644 §3.10). add and replace take an object of its attributes and apply
 * it as the path-less `{"<URN>": value}` does: both merge the attributes given and leave the
 * others, replace included (§3.5.2.3: a complex target takes "a set of sub-attributes …
 * Sub-attributes that are not specified in the value parameter are left unchanged"). remove
 * removes each attribute a client may write, as its own path would; those the server
 * maintains stay.
 */
function extensionChanges(
  kind: OperationKind,
  schema: SchemaDefinition,
  value: unknown,
  label: string,
  registry: SchemaRegistry,
): Change[] {
  if (kind === 'remove') {
    // A client that sends a value may mean to remove only what it lists: taking out every
    // attribute instead would destroy what it meant to keep.
    if (value !== undefined && value !== null)
      throw scimError.invalidValue(
        `${label}: remove of a whole extension takes no "value"; to remove some of its attributes, name each in its own path, as in ${quote(`${schema.id}:${schema.attributes[0]?.name ?? 'name'}`)}`,
      )
    return writableAttributes(schema).map((attribute) => ({
      kind,
      target: { label, schema, attribute },
      value: undefined,
    }))
  }
  // null is "no value" (rule 9): replacing the container with it empties it, adding it adds nothing.
  if (value === null)
    return kind === 'replace' ? extensionChanges('remove', schema, undefined, label, registry) : []
  if (!isRecord(value))
    throw scimError.invalidValue(
      `${label} names a schema: ${kind} takes an object of its attributes, not ${describeJson(value)}`,
    )
  const changes: Change[] = []
  for (const [name, inner] of Object.entries(value)) addKey(changes, kind, name, inner, schema, registry)
  return changes
}

function writableAttributes(schema: SchemaDefinition): AttributeDefinition[] {
  return schema.attributes.filter((attribute) => attribute.mutability !== 'readOnly')
}
