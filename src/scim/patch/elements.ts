/**
 * Element-level work on multi-valued attributes: which elements a value filter selects, the
 * element a filter describes, removal by `value`, and the "at most one primary" rule
 * (RFC 7643 §2.4). Finding elements already listed is in listing.ts.
 */
import { scimError } from '../errors.ts'
import type { Filter } from '../filter/ast.ts'
import { findSubAttribute, matchesElement } from '../filter/evaluate.ts'
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts'
import { COST, type WorkBudget } from './budget.ts'
import {
  deleteProp,
  describeJson,
  getProp,
  isPrimitive,
  isRecord,
  isTrue,
  type JsonRecord,
  setProp,
} from './records.ts'

/**
 * Positions of the elements `filter` selects; every element when there is no filter.
 * Only objects are elements of a complex attribute, so anything else is never selected.
 */
export function selectElements(
  list: readonly unknown[],
  filter: Filter | undefined,
  attribute: AttributeDefinition,
  registry: SchemaRegistry,
  budget: WorkBudget,
): Set<number> {
  budget.spend(list.length * COST.visit)
  const selected = new Set<number>()
  const required = filter ? exactConditions(filter, attribute) : []
  list.forEach((element, index) => {
    if (!isRecord(element) || !required.every((condition) => holds(element, condition))) return
    if (filter) {
      budget.spend(COST.match)
      if (!matchesElement(element, filter, attribute, registry)) return
    }
    selected.add(index)
  })
  return selected
}

interface ExactCondition {
  name: string
  literal: string
}

/**
 * Conditions every element a filter matches must meet, cheap enough to test first: the
 * filter's `sub eq "x"` terms (outside `or` and `not`) on caseExact text sub-attributes,
 * which compare strings unchanged (see evaluate.ts), so a match holds exactly "x" there.
 * `matchesElement` still decides; this only spares it the elements that cannot match, which
 * matters for `members[value eq "…"]` on a large group.
 */
function exactConditions(filter: Filter, attribute: AttributeDefinition): ExactCondition[] {
  if (filter.kind === 'and')
    return [...exactConditions(filter.left, attribute), ...exactConditions(filter.right, attribute)]
  if (filter.kind !== 'compare' || filter.operator !== 'eq' || typeof filter.value !== 'string') return []
  if (filter.path.schema !== undefined || filter.path.subAttribute !== undefined) return []
  const sub = findSubAttribute(attribute, filter.path.attribute)
  if (!sub?.caseExact || !textTypes.has(sub.type)) return []
  return [{ name: sub.name, literal: filter.value }]
}

const textTypes: ReadonlySet<string> = new Set(['string', 'reference', 'binary'])

function holds(element: JsonRecord, { name, literal }: ExactCondition): boolean {
  const value = getProp(element, name)
  return value === literal || (Array.isArray(value) && value.includes(literal))
}

/** The sub-attributes a filter looks an element up by: what the element holds, not its kind. */
const LOOKED_UP: ReadonlySet<string> = new Set(['value', 'display', '$ref'])

/**
 * The element a filter of `eq` comparisons joined by `and` describes (`type eq "work"` gives
 * `{"type": "work"}`), or undefined when the filter is anything else: only then is it clear
 * what a missing element should hold.
 */
export function elementFromFilter(filter: Filter, attribute: AttributeDefinition): JsonRecord | undefined {
  const element: JsonRecord = {}
  const describe = (part: Filter): boolean => {
    if (part.kind === 'and') return describe(part.left) && describe(part.right)
    if (part.kind !== 'compare' || part.operator !== 'eq' || part.value === null) return false
    const sub = findSubAttribute(attribute, part.path.attribute)
    // The server fills readOnly sub-attributes; a client cannot create them through a filter.
    if (!sub || sub.mutability === 'readOnly' || part.path.subAttribute !== undefined) return false
    // A filter on what an element holds (`value eq "a@x.org"`) looks up an element that is not
    // there (RFC 7644 noTarget): creating one would store a value lifted from a search.
    if (LOOKED_UP.has(sub.name)) return false
    const earlier = getProp(element, sub.name)
    // `type eq "work" and type eq "home"` describes no element.
    if (earlier !== undefined && earlier !== part.value) return false
    setProp(element, sub.name, part.value)
    return true
  }
  return describe(filter) ? element : undefined
}

/**
 * The list without the elements whose `value` equals that of one of `given` (exactly:
 * member ids are case-sensitive). Entra ID removes group members this way, with a path
 * naming the attribute and a value listing the members.
 */
export function removeByValue(
  list: readonly unknown[],
  given: unknown,
  attribute: AttributeDefinition,
  label: string,
  budget: WorkBudget,
): unknown[] {
  budget.spend(list.length * COST.visit)
  const valueSub = findSubAttribute(attribute, 'value')
  if (!valueSub)
    throw scimError.invalidValue(
      `${label}: elements of ${attribute.name} have no "value" to be picked by; name them with a value filter in the path instead`,
    )
  const ids = new Set<unknown>()
  for (const element of Array.isArray(given) ? given : [given]) {
    if (element === null) continue
    const id = isRecord(element) ? getProp(element, valueSub.name) : undefined
    if (!isPrimitive(id))
      throw scimError.invalidValue(
        `${label}: each element to remove is an object with the "value" of an element of ${attribute.name}, not ${describeJson(element)}`,
      )
    ids.add(id)
  }
  return list.filter((element) => !(isRecord(element) && ids.has(getProp(element, valueSub.name))))
}

/**
 * Keeps at most one primary element. When the elements an operation wrote include one with
 * `primary` true (or "true"), it becomes the only one; two would leave no way to choose.
 */
export function settlePrimary(
  list: readonly unknown[],
  written: readonly unknown[],
  attribute: AttributeDefinition,
  label: string,
): void {
  const primarySub = findSubAttribute(attribute, 'primary')
  if (!primarySub) return
  const isPrimary = (element: unknown) => isRecord(element) && isTrue(getProp(element, primarySub.name))
  const primaries = written.filter(isPrimary)
  if (primaries.length > 1)
    throw scimError.invalidValue(
      `${label}: ${primaries.length} elements of ${attribute.name} would be primary; at most one may be`,
    )
  const [primary] = primaries
  if (primary === undefined) return
  for (const element of list)
    if (element !== primary && isPrimary(element)) deleteProp(element as JsonRecord, primarySub.name)
}
