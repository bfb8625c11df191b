/**
 * Appending to multi-valued attributes without duplicates (RFC 7644 §3.5.2.1: an add of a
 * value already there changes nothing).
 */
import { findSubAttribute } from '../filter/evaluate.ts'
import type { AttributeDefinition } from '../schema/types.ts'
import { COST, type WorkBudget } from './budget.ts'
import { getProp, isRecord, type JsonRecord, jsonEqual } from './records.ts'

/**
 * Which elements are already listed. An element is listed when an existing one has the same
 * values for the sub-attributes it gives (unknown keys aside, which the caller ignores) and it
 * gives the attribute's `value`, where the attribute has one, so
 * re-adding a member as `{"value": id}` does not duplicate the stored
 * `{"value": id, "display": …}`.
 *
 * A few added elements are compared with each existing one. Many are looked up in an index
 * instead, as a request of a megabyte can list tens of thousands: one index per set of
 * sub-attributes given, of which clients send one or two. Past `MAX_INDEXES` sets, elements
 * of a new set are compared on all sub-attributes, so that varied input cannot multiply the
 * work (at worst such an element is appended next to a near duplicate).
 */
const MAX_INDEXES = 8
/** Up to this many added elements, comparing beats building an index. */
const MAX_COMPARED = 16

class Listing {
  private readonly indexes = new Map<string, { names: readonly string[]; keys: Set<string> }>()
  /** For simple multi-valued attributes, whose elements are strings, numbers or booleans. */
  private simple: Set<string> | undefined
  /** The canonical name of the attribute's `value` sub-attribute, if it has one. */
  private readonly valueName: string | undefined

  constructor(
    private readonly elements: unknown[],
    private readonly attribute: AttributeDefinition,
    private readonly budget: WorkBudget,
    private readonly compare: boolean,
  ) {
    this.valueName = attribute.type === 'complex' ? findSubAttribute(attribute, 'value')?.name : undefined
  }

  has(element: unknown): boolean {
    // An element without the `value` its attribute has (a group member given only its type) is
    // no value of the attribute, so none is "already there": it is appended, and the caller's
    // validation refuses it (a member needs a value) or ignores it, as for POST and PUT.
    // Taken for a listed one, it would vanish and the PATCH would answer 200 having done nothing.
    if (this.valueName !== undefined && isRecord(element) && !Object.hasOwn(element, this.valueName))
      return false
    if (this.compare) {
      this.budget.spend(this.elements.length * COST.visit)
      if (this.attribute.type !== 'complex' || !isRecord(element))
        return this.elements.some((existing) => jsonEqual(existing, element))
      const names = this.namesGiven(element)
      return this.elements.some(
        (existing) =>
          isRecord(existing) && names.every((name) => jsonEqual(getProp(existing, name), element[name])),
      )
    }
    if (this.attribute.type !== 'complex' || !isRecord(element)) {
      if (!this.simple) {
        this.budget.spend(this.elements.length * COST.visit)
        this.simple = new Set(this.elements.map(simpleKey))
      }
      return this.simple.has(simpleKey(element))
    }
    const index = this.indexFor(element)
    return index.keys.has(projection(element, index.names))
  }

  add(element: unknown): void {
    this.elements.push(element)
    this.simple?.add(simpleKey(element))
    if (!isRecord(element)) return
    for (const { names, keys } of this.indexes.values()) {
      this.budget.spend(names.length * COST.index)
      keys.add(projection(element, names))
    }
  }

  /** The sub-attributes an added element gives; values are canonicalised before they get here. */
  private namesGiven(given: JsonRecord): string[] {
    return (this.attribute.subAttributes ?? [])
      .map((sub) => sub.name)
      .filter((name) => Object.hasOwn(given, name))
  }

  private indexFor(given: JsonRecord) {
    let names = this.namesGiven(given)
    if (!this.indexes.has(names.join(' ')) && this.indexes.size >= MAX_INDEXES)
      names = (this.attribute.subAttributes ?? []).map((sub) => sub.name)
    const signature = names.join(' ')
    let index = this.indexes.get(signature)
    if (!index) {
      this.budget.spend(this.elements.length * names.length * COST.index)
      const keys = new Set<string>()
      for (const existing of this.elements) if (isRecord(existing)) keys.add(projection(existing, names))
      index = { names, keys }
      this.indexes.set(signature, index)
    }
    return index
  }
}

function simpleKey(element: unknown): string {
  return JSON.stringify(element) ?? ''
}

/** The values of `names` in `element`, as one comparable string (missing and null alike). */
function projection(element: JsonRecord, names: readonly string[]): string {
  return JSON.stringify(names.map((name) => getProp(element, name) ?? null))
}

/** Appends the elements not already listed; answers the ones appended. */
export function appendElements(
  list: unknown[],
  elements: readonly unknown[],
  attribute: AttributeDefinition,
  budget: WorkBudget,
): unknown[] {
  const listing = new Listing(list, attribute, budget, elements.length <= MAX_COMPARED)
  const appended: unknown[] = []
  for (const element of elements) {
    if (listing.has(element)) continue
    listing.add(element)
    appended.push(element)
  }
  return appended
}
