import { scimError } from '../errors.ts'
import type { AttributePath } from '../filter/ast.ts'
import { and, anyOf, type Condition, not } from './condition.ts'
import type { Leaf } from './filter-walk.ts'
import { compareCondition, type Dialect } from './operands.ts'

/** A schema URI and the condition under which a resource's `schemas` lists it. */
export interface ListedSchema {
  urn: string
  listed: Condition
}

/**
 * A leaf on `schemas` (RFC 7643 §3): some URI the resource lists satisfies it. The URIs are
 * known at translation time, so each comparison with the literal folds to a constant (compared
 * as the evaluator does, case-insensitively) and only the conditions of listing reach SQL:
 * every operator costs the same, and none loads a resource to read its `schemas`.
 */
export function schemasCondition(
  path: AttributePath,
  schemas: readonly ListedSchema[],
  leaf: Leaf,
  dialect: Dialect,
): Condition {
  if (path.subAttribute !== undefined)
    throw scimError.invalidFilter(`schemas is a list of URIs and has no sub-attribute ${path.subAttribute}.`)
  const anyListed = anyOf(schemas.map((schema) => schema.listed))
  if (leaf.kind === 'present') return anyListed
  if (leaf.value === null) {
    if (leaf.operator !== 'eq') throw scimError.invalidFilter('null can only be compared with eq or ne.')
    return not(anyListed)
  }
  const { operator, value } = leaf
  return anyOf(
    schemas.map(({ urn, listed }) =>
      and(
        listed,
        compareCondition({ kind: 'constant', value: urn, caseExact: false }, operator, value, dialect),
      ),
    ),
  )
}
