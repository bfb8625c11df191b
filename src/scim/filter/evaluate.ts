/**
 * In-memory evaluation of a SCIM filter over a resource as the server returns it: core
 * attributes at the top level, each extension's attributes in an object under its schema URN.
 * The SQL translator implements the same rules, and a property test holds the two together:
 *
 * - No value: the attribute is missing, null or an empty array. An empty string is a value,
 *   except to `pr`: storage never keeps empty strings.
 * - Multi-valued: a comparison holds when it holds for any element. A complex attribute
 *   compared without a sub-attribute (`emails co "@x"`, `manager eq "42"`) compares its
 *   `value` sub-attribute.
 * - `ne` is exactly `not eq`, so it holds when there is no value; `eq null` is `not pr` and
 *   `ne null` is `pr`. Every other operator is false when there is no value.
 * - `pr`: some non-null value that is not "" (for a multi-valued attribute without a
 *   sub-attribute: some non-null element; for a complex single-valued one, such as `name` or
 *   `manager`: some sub-attribute with a value, RFC 7644 §3.4.2.2's "non-empty node").
 * - Strings: `caseExact: false` compares `s.normalize('NFKC').toLowerCase()`; ordering is by
 *   Unicode code point, as SQL orders UTF-8 bytes. dateTime compares stored epoch milliseconds
 *   with the literal's exact instant (`instant.ts`), and a stored value that does not parse
 *   matches nothing. Booleans take `eq` and `ne` only, and the literal may be the string
 *   "true" or "false" in any case (a common client deviation).
 * - `schemas` (RFC 7643 §3, in no schema's attribute list) is the resource's `schemas` array:
 *   URIs, compared case-insensitively.
 */
import { compareCodePoints, comparisonKey } from '../../domain/comparison-key.ts'
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts'
import type { AttributePath, CompareOperator, Filter, FilterValue } from './ast.ts'
import { type OrderOperator, onWholeMilliseconds, parseInstantLiteral } from './instant.ts'
import { isSchemasAttribute, schemasAttribute } from './schemas-attribute.ts'

type Values = readonly unknown[]

/** What a path reads: the definition comparisons follow, and the values found. */
interface Operand {
  /** The attribute compared (`value` for a complex attribute); undefined when there is none. */
  comparedAs: AttributeDefinition | undefined
  /** Values comparisons see. */
  compared: Values
  /** Values `pr` looks at. */
  present: Values
}

const noOperand: Operand = { comparedAs: undefined, compared: [], present: [] }

export function matchesFilter(
  resource: Record<string, unknown>,
  filter: Filter,
  registry: SchemaRegistry,
): boolean {
  return evaluate(filter, {
    operand: (path) => resourceOperand(resource, path, registry),
    valuePath: (path, inner) => {
      const resolved = registry.resolve(path)
      if (!resolved || resolved.subAttribute) return false
      const container = containerOf(resource, resolved.schema.id, registry)
      return elementsOf(property(container, resolved.attribute.name)).some((element) =>
        matchesElement(element, inner, resolved.attribute, registry),
      )
    },
  })
}

/**
 * The filter of a value path (or PATCH value filter) against one element of the
 * multi-valued complex `attribute`; its paths name sub-attributes of `attribute`.
 */
export function matchesElement(
  element: unknown,
  filter: Filter,
  attribute: AttributeDefinition,
  _registry: SchemaRegistry,
): boolean {
  const record = asRecord(element)
  return evaluate(filter, {
    operand: (path) => {
      if (path.schema !== undefined || path.subAttribute !== undefined) return noOperand
      const sub = findSubAttribute(attribute, path.attribute)
      return sub ? operandIn(record, sub, undefined) : noOperand
    },
    // Value paths do not nest.
    valuePath: () => false,
  })
}

interface Scope {
  operand(path: AttributePath): Operand
  valuePath(path: AttributePath, filter: Filter): boolean
}

function evaluate(filter: Filter, scope: Scope): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, scope) && evaluate(filter.right, scope)
    case 'or':
      return evaluate(filter.left, scope) || evaluate(filter.right, scope)
    case 'not':
      return !evaluate(filter.filter, scope)
    case 'present':
      return isPresent(scope.operand(filter.path))
    case 'valuePath':
      return scope.valuePath(filter.path, filter.filter)
    case 'compare': {
      const operand = scope.operand(filter.path)
      if (filter.operator === 'ne') return !compare(operand, 'eq', filter.value)
      return compare(operand, filter.operator, filter.value)
    }
  }
}

function isPresent(operand: Operand): boolean {
  return operand.present.some((value) => value !== '')
}

function compare(operand: Operand, operator: CompareOperator, literal: FilterValue): boolean {
  if (literal === null) return operator === 'eq' && !isPresent(operand)
  const definition = operand.comparedAs
  if (!definition) return false
  return operand.compared.some((value) => compareOne(definition, operator, value, literal))
}

function compareOne(
  definition: AttributeDefinition,
  operator: CompareOperator,
  value: unknown,
  literal: string | number | boolean,
): boolean {
  switch (definition.type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value !== 'string' || typeof literal !== 'string') return false
      return compareStrings(operator, definition.caseExact, value, literal)
    case 'boolean': {
      const wanted = booleanLiteral(literal)
      return operator === 'eq' && typeof value === 'boolean' && value === wanted
    }
    case 'integer':
    case 'decimal':
      if (typeof value !== 'number' || typeof literal !== 'number') return false
      return compareOrdered(operator, value === literal ? 0 : value < literal ? -1 : 1)
    case 'dateTime': {
      if (typeof value !== 'string' || typeof literal !== 'string') return false
      const stored = Date.parse(value)
      const wanted = parseInstantLiteral(literal)
      if (Number.isNaN(stored) || wanted === undefined || !isOrderOperator(operator)) return false
      const comparison = onWholeMilliseconds(operator, wanted)
      if (!comparison) return false
      const { at } = comparison
      return compareOrdered(comparison.operator, stored === at ? 0 : stored < at ? -1 : 1)
    }
    case 'complex':
      return false
  }
}

function compareStrings(
  operator: CompareOperator,
  caseExact: boolean,
  value: string,
  literal: string,
): boolean {
  const left = caseExact ? value : caseKey(value)
  const right = caseExact ? literal : caseKey(literal)
  switch (operator) {
    case 'co':
      return left.includes(right)
    case 'sw':
      return left.startsWith(right)
    case 'ew':
      return left.endsWith(right)
    default:
      return compareOrdered(operator, compareCodePoints(left, right))
  }
}

const isOrderOperator = (operator: CompareOperator): operator is OrderOperator =>
  operator !== 'ne' && operator !== 'co' && operator !== 'sw' && operator !== 'ew'

/** eq, gt, ge, lt and le from a three-way comparison; the substring operators never hold. */
function compareOrdered(operator: CompareOperator, order: number): boolean {
  switch (operator) {
    case 'eq':
      return order === 0
    case 'gt':
      return order > 0
    case 'ge':
      return order >= 0
    case 'lt':
      return order < 0
    case 'le':
      return order <= 0
    default:
      return false
  }
}

/** The comparison key of a case-insensitive string, as storage computes it. */
export const caseKey = comparisonKey

export { compareCodePoints }

/** `true`, `false`, or the strings "true" and "false" in any case; undefined otherwise. */
export function booleanLiteral(literal: FilterValue): boolean | undefined {
  if (typeof literal === 'boolean') return literal
  if (typeof literal !== 'string') return undefined
  const lower = literal.toLowerCase()
  return lower === 'true' ? true : lower === 'false' ? false : undefined
}

function resourceOperand(
  resource: Record<string, unknown>,
  path: AttributePath,
  registry: SchemaRegistry,
): Operand {
  if (isSchemasAttribute(path))
    return path.subAttribute === undefined ? operandIn(resource, schemasAttribute, undefined) : noOperand
  const resolved = registry.resolve(path)
  if (!resolved) return noOperand
  const container = containerOf(resource, resolved.schema.id, registry)
  return operandIn(container, resolved.attribute, resolved.subAttribute)
}

/** The values of `attribute` (or of its `sub`) in `container`. */
function operandIn(
  container: Record<string, unknown> | undefined,
  attribute: AttributeDefinition,
  sub: AttributeDefinition | undefined,
): Operand {
  const elements = elementsOf(property(container, attribute.name))
  if (sub) {
    const values = subValues(elements, sub)
    return { comparedAs: sub, compared: values, present: values }
  }
  if (attribute.type !== 'complex') return { comparedAs: attribute, compared: elements, present: elements }
  const value = findSubAttribute(attribute, 'value')
  const compared = value ? subValues(elements, value) : []
  if (attribute.multiValued) return { comparedAs: value, compared, present: elements }
  // A single-valued complex attribute is there when one of its sub-attributes has a value.
  const present = (attribute.subAttributes ?? []).flatMap((sub) => subValues(elements, sub))
  return { comparedAs: value, compared, present }
}

function subValues(elements: Values, sub: AttributeDefinition): Values {
  return elements.flatMap((element) => elementsOf(property(asRecord(element), sub.name)))
}

/** A value as a list without nulls: missing, null and [] are no value. */
function elementsOf(value: unknown): Values {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value.filter((element) => element !== undefined && element !== null) : [value]
}

function containerOf(
  resource: Record<string, unknown>,
  schemaId: string,
  registry: SchemaRegistry,
): Record<string, unknown> | undefined {
  return schemaId.toLowerCase() === registry.core.id.toLowerCase()
    ? resource
    : asRecord(property(resource, schemaId))
}

export function findSubAttribute(
  attribute: AttributeDefinition,
  name: string,
): AttributeDefinition | undefined {
  const wanted = name.toLowerCase()
  return attribute.subAttributes?.find((sub) => sub.name.toLowerCase() === wanted)
}

/** An own property by name, case-insensitively (RFC 7643 §2.1); inherited ones never count. */
function property(record: Record<string, unknown> | undefined, name: string): unknown {
  if (!record) return undefined
  if (Object.hasOwn(record, name)) return record[name]
  const wanted = name.toLowerCase()
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === wanted)
  return key === undefined ? undefined : record[key]
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** An attribute a filter path names, with the name messages use for it. */

export { validateFilter } from './validate.ts'
