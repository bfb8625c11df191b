/**
 * Where an attribute lives in a resource document: core attributes at the top level, an
 * extension's attributes in an object under the extension's URN, which `schemas` lists
 * exactly while that object exists. Writes keep "absent" the only empty state: an attribute
 * left as `[]`, `{}` or null is deleted, and so is an extension object left empty.
 */
import type { AttributeDefinition, SchemaDefinition, SchemaRegistry } from '../schema/types.ts'
import { deleteProp, findKey, getProp, hasValue, isRecord, type JsonRecord, setProp } from './records.ts'

function isCore(schema: SchemaDefinition, registry: SchemaRegistry): boolean {
  return schema.id.toLowerCase() === registry.core.id.toLowerCase()
}

function extensionObject(document: JsonRecord, schema: SchemaDefinition): JsonRecord | undefined {
  const container = getProp(document, schema.id)
  return isRecord(container) ? container : undefined
}

/** The attribute's current value (a live reference into `document`), or undefined. */
export function readAttribute(
  document: JsonRecord,
  schema: SchemaDefinition,
  attribute: AttributeDefinition,
  registry: SchemaRegistry,
): unknown {
  const container = isCore(schema, registry) ? document : extensionObject(document, schema)
  return container === undefined ? undefined : getProp(container, attribute.name)
}

/** Stores `value` as the attribute's value, or deletes the attribute when it has none. */
export function writeAttribute(
  document: JsonRecord,
  schema: SchemaDefinition,
  attribute: AttributeDefinition,
  registry: SchemaRegistry,
  value: unknown,
): void {
  const compacted = compact(value)
  if (isCore(schema, registry)) {
    if (compacted === undefined) deleteProp(document, attribute.name)
    else setProp(document, attribute.name, compacted)
    return
  }
  let container = extensionObject(document, schema)
  if (compacted === undefined) {
    if (!container) return
    deleteProp(container, attribute.name)
    if (Object.keys(container).length === 0) {
      deleteProp(document, schema.id)
      listSchema(document, schema, registry, false)
    }
    return
  }
  if (!container) {
    container = {}
    setProp(document, schema.id, container)
    listSchema(document, schema, registry, true)
  }
  setProp(container, attribute.name, compacted)
}

/** Adds the extension's URN to `schemas` (once), or takes it out. */
function listSchema(
  document: JsonRecord,
  schema: SchemaDefinition,
  registry: SchemaRegistry,
  listed: boolean,
): void {
  const key = findKey(document, 'schemas') ?? 'schemas'
  const current = document[key]
  const urns = Array.isArray(current) ? current : [registry.core.id]
  const others = urns.filter(
    (urn) => typeof urn !== 'string' || urn.toLowerCase() !== schema.id.toLowerCase(),
  )
  setProp(document, key, listed ? [...others, schema.id] : others)
}

/**
 * The value, or undefined ("delete the attribute") when it holds nothing. Operations drop
 * the elements they empty themselves, so a list is not walked again here: with a large
 * group and many operations, that walk would dominate.
 */
function compact(value: unknown): unknown {
  if (isRecord(value)) for (const key of Object.keys(value)) if (value[key] === null) delete value[key]
  return hasValue(value) ? value : undefined
}
