/**
 * One add, replace or remove applied to one target of a working copy of the document: the
 * attribute's next value is computed, mutability checked, and the value written back. A
 * failure may leave the working copy half changed; the caller then throws it away whole.
 */
import { scimError } from '../errors.ts'
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts'
import type { OperationKind } from './body.ts'
import { COST, type WorkBudget } from './budget.ts'
import { readAttribute, writeAttribute } from './document.ts'
import { elementFromFilter, removeByValue, selectElements, settlePrimary } from './elements.ts'
import { appendElements } from './listing.ts'
import {
  defineOwn,
  deleteProp,
  getProp,
  hasValue,
  isRecord,
  type JsonRecord,
  jsonEqual,
  setProp,
} from './records.ts'
import type { Target } from './target.ts'
import { complexValue, elementsOf, simpleValue, singleComplexValue, withoutNulls } from './values.ts'

export interface Change {
  kind: OperationKind
  target: Target
  /** Undefined when the operation had no value (only a remove may lack one). */
  value: unknown
}

export function applyChange(
  document: JsonRecord,
  change: Change,
  registry: SchemaRegistry,
  budget: WorkBudget,
): void {
  const { kind, target, value } = change
  const { attribute, sub, label } = target
  const readOnly =
    attribute.mutability === 'readOnly' ? attribute : sub?.mutability === 'readOnly' ? sub : undefined
  if (readOnly) throw scimError.mutability(`${label}: ${readOnly.name} is read-only; the server maintains it`)
  if (kind !== 'remove' && value === null) {
    // null is "no value" (RFC 7643 §2.5): replacing with it unassigns, adding it adds nothing.
    if (kind === 'replace')
      applyChange(document, { kind: 'remove', target, value: undefined }, registry, budget)
    return
  }
  const current = readAttribute(document, target.schema, attribute, registry)
  // The value is changed in place, which is safe in the working copy; only an immutable
  // attribute needs its earlier value kept, to compare with.
  const isImmutable = attribute.mutability === 'immutable'
  const next = nextValue(
    kind,
    target,
    isImmutable ? structuredClone(current) : current,
    value,
    registry,
    budget,
  )
  if (isImmutable && hasValue(current) && !jsonEqual(current, next)) throw immutable(attribute, label)
  writeAttribute(document, target.schema, attribute, registry, next)
}

function immutable(definition: AttributeDefinition, label: string): Error {
  return scimError.mutability(
    `${label}: ${definition.name} is immutable and already has a value; it can be set only while it has none`,
  )
}

function nextValue(
  kind: OperationKind,
  target: Target,
  current: unknown,
  value: unknown,
  registry: SchemaRegistry,
  budget: WorkBudget,
): unknown {
  const { attribute, sub, label } = target
  if (attribute.multiValued) {
    const list = listOf(current)
    // Every operation on a list passes over it at least once (selecting, copying, filtering).
    budget.spend(list.length * COST.visit)
    return nextList(kind, target, list, value, registry, budget)
  }
  if (kind === 'remove') {
    if (!sub) return undefined
    if (isRecord(current)) removeSub(current, sub, label)
    return current
  }
  if (attribute.type !== 'complex') return simpleValue(value, attribute, label)
  const record = isRecord(current) ? current : {}
  if (sub) setSub(record, sub, simpleValue(value, sub, `${label}: ${attribute.name}.${sub.name}`), label)
  // Both add and replace merge the sub-attributes given into the current value.
  else merge(record, singleComplexValue(value, attribute, label), kind, attribute, label)
  return record
}

/** A stored value that should be a list but is one element is read as a list of it. */
function listOf(current: unknown): unknown[] {
  if (Array.isArray(current)) return current
  return hasValue(current) ? [current] : []
}

function nextList(
  kind: OperationKind,
  target: Target,
  list: unknown[],
  value: unknown,
  registry: SchemaRegistry,
  budget: WorkBudget,
): unknown[] | undefined {
  const { attribute, sub, filter, label } = target
  if (!sub && !filter) {
    if (kind === 'remove')
      return attribute.type === 'complex' && value !== undefined && value !== null
        ? removeByValue(list, value, attribute, label, budget)
        : undefined
    const elements = elementsOf(value, attribute, label)
    const result = kind === 'add' ? list : []
    const written = appendElements(result, elements, attribute, budget)
    settlePrimary(result, written, attribute, label)
    return result
  }
  // `emails.value` without a filter applies to every element.
  const selected = selectElements(list, filter, attribute, registry, budget)
  if (kind === 'remove') {
    if (!sub) return withoutPositions(list, selected)
    for (const index of selected) removeSub(list[index] as JsonRecord, sub, label)
    // Rule 10: an element whose last sub-attribute went is no element.
    return withoutPositions(list, new Set([...selected].filter((index) => !hasValue(list[index]))))
  }
  const written: unknown[] = []
  if (selected.size === 0) written.push(createElement(target, value))
  // Checked once, not per matched element: a filter may match thousands of members.
  const given = sub || selected.size === 0 ? undefined : complexValue(value, attribute, label)
  for (const index of selected) {
    const element = list[index] as JsonRecord
    if (sub) setSub(element, sub, simpleValue(value, sub, `${label}: ${attribute.name}.${sub.name}`), label)
    // RFC 7644 §3.5.2.1 and §3.5.2.3: the sub-attributes given replace those of each matched
    // element and the others stay, the filtered-on `type` included. Replacing the element
    // whole would silently drop the rest of an address, and storage would file an element
    // that lost its type under another type.
    else if (given) merge(element, given, kind, attribute, label)
    written.push(element)
  }
  if (selected.size === 0) list.push(...written)
  settlePrimary(list, written, attribute, label)
  // Rule 10: an element whose last sub-attribute a replace set to null is no element.
  return withoutPositions(list, new Set([...selected].filter((index) => !hasValue(list[index]))))
}

function withoutPositions(list: unknown[], positions: ReadonlySet<number>): unknown[] {
  return positions.size === 0 ? list : list.filter((_, index) => !positions.has(index))
}

/**
 * The element an add or replace through an unmatched value filter creates. RFC 7644 says
 * noTarget, but Entra ID sets `emails[type eq "work"].value` on users without a work email
 * and expects one to appear; a filter of `eq` comparisons says what that element holds.
 */
function createElement(target: Target, value: unknown): JsonRecord {
  const { attribute, sub, filter, label } = target
  const element = filter ? elementFromFilter(filter, attribute) : undefined
  if (!element)
    throw scimError.noTarget(
      filter
        ? `${label}: no element of ${attribute.name} matches the filter, and only a filter of eq comparisons joined by "and", none of them on value, display or $ref, describes one to create`
        : `${label}: ${attribute.name} has no elements to set ${sub?.name ?? 'this'} on`,
    )
  if (sub) {
    setProp(element, sub.name, simpleValue(value, sub, `${label}: ${attribute.name}.${sub.name}`))
    return element
  }
  const given = withoutNulls(complexValue(value, attribute, label))
  for (const [key, inner] of Object.entries(given)) {
    const known = attribute.subAttributes?.some((candidate) => candidate.name === key)
    if (known) setProp(element, key, inner)
    else defineOwn(element, key, inner)
  }
  return element
}

/** Merges given sub-attributes; a null one is removed by replace and means nothing to add. */
function merge(
  record: JsonRecord,
  given: JsonRecord,
  kind: OperationKind,
  attribute: AttributeDefinition,
  label: string,
): void {
  for (const [key, inner] of Object.entries(given)) {
    const sub = attribute.subAttributes?.find((candidate) => candidate.name === key)
    if (!sub) {
      if (inner !== null) defineOwn(record, key, inner)
    } else if (inner !== null) setSub(record, sub, inner, label)
    else if (kind === 'replace') removeSub(record, sub, label)
  }
}

/** Sets a sub-attribute of an existing value; an immutable one only while it has none. */
function setSub(record: JsonRecord, sub: AttributeDefinition, value: unknown, label: string): void {
  const earlier = getProp(record, sub.name)
  if (sub.mutability === 'immutable' && hasValue(earlier) && !jsonEqual(earlier, value))
    throw immutable(sub, label)
  setProp(record, sub.name, value)
}

function removeSub(record: JsonRecord, sub: AttributeDefinition, label: string): void {
  if (sub.mutability === 'immutable' && hasValue(getProp(record, sub.name))) throw immutable(sub, label)
  deleteProp(record, sub.name)
}
