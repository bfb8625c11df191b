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
 *    URN; one that names nothing known, or does not parse, is invalidPath.
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
 *    nothing, and a null sub-attribute is removed by replace and ignored by add.
 * 10. An attribute left empty (`[]`, `{}`) is deleted, and so is an empty extension object,
 *    whose URN then leaves `schemas`; adding to a missing extension creates it and lists it.
 *
 * The input document is not modified unless the caller hands it over (`owned`): operations run
 * in order on a deep copy, and the first failure throws a ScimError naming the operation, so a
 * half-applied copy never escapes. The work one request may cause on long lists is bounded too
 * (budget.ts): beyond it, tooMany.
 */
import { isScimError, ScimError, scimError } from '../errors.ts'
import { quote } from '../filter/lexer.ts'
import type { SchemaDefinition, SchemaRegistry } from '../schema/types.ts'
import { type PatchOperation, parsePatchBody } from './body.ts'
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
  if (path !== undefined) return [{ kind, target: resolvePath(path, registry), value }]
  if (kind === 'remove') throw scimError.noTarget('remove needs a "path" naming what to remove')
  if (!isRecord(value))
    throw scimError.invalidValue(
      `${kind} without a "path" takes an object of attributes and their values, not ${describeJson(value)}`,
    )
  const changes: Change[] = []
  const addKey = (key: string, inner: unknown, scope: SchemaDefinition | undefined) => {
    const target = resolveKey(key, registry, scope)
    // readOnly values in a request are ignored (RFC 7643 §2.2), unlike a path naming one.
    if (!target || target.attribute.mutability === 'readOnly' || target.sub?.mutability === 'readOnly') return
    changes.push({ kind, target, value: inner })
  }
  for (const [key, inner] of Object.entries(value)) {
    const schema = registry.schema(key)
    if (!schema) {
      addKey(key, inner, undefined)
      continue
    }
    if (!isRecord(inner))
      throw scimError.invalidValue(
        `${kind} without a "path": the schema ${quote(key)} takes an object of its attributes, not ${describeJson(inner)}`,
      )
    for (const [name, attributeValue] of Object.entries(inner)) addKey(name, attributeValue, schema)
  }
  return changes
}
