import { type RawBuilder, sql } from 'kysely'

/**
 * A SQL condition, or a constant the translator already knows. Constants come from facts
 * fixed at translation time (an element slot's `type`, an operator on a value that can never
 * be there) and are folded away, so no query carries `'home' = 'work'` or an empty branch.
 */
export type Condition = boolean | RawBuilder<unknown>

export function and(left: Condition, right: Condition): Condition {
  if (left === false || right === false) return false
  if (left === true) return right
  if (right === true) return left
  return sql`(${left} and ${right})`
}

export function or(left: Condition, right: Condition): Condition {
  if (left === true || right === true) return true
  if (left === false) return right
  if (right === false) return left
  return sql`(${left} or ${right})`
}

export function not(condition: Condition): Condition {
  if (typeof condition === 'boolean') return !condition
  return sql`(not ${condition})`
}

export function anyOf(conditions: Condition[]): Condition {
  return conditions.reduce<Condition>((result, condition) => or(result, condition), false)
}

/** A condition as SQL; constants become comparisons both engines accept in a WHERE clause. */
export function toSql(condition: Condition): RawBuilder<unknown> {
  if (condition === true) return sql`1 = 1`
  if (condition === false) return sql`1 = 0`
  return condition
}
