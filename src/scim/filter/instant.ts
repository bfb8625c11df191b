/**
 * Date-time literals of filters (xsd:dateTime with a zone, RFC 7643 §2.3.5) as exact instants.
 * Rekey keeps times in whole milliseconds, but a literal may carry up to nine fraction digits:
 * rounding or cutting those off would make `meta.created eq "…27.9569Z"` match a user created
 * at …27.956Z, and `lt "…27.9561Z"` miss it. The SQL translation and the in-memory evaluator
 * both compare through `onWholeMilliseconds`, so they agree on every literal.
 */
import type { CompareOperator } from './ast.ts'

/** An instant, as the whole millisecond at or before it and whether it lies exactly there. */
export interface InstantLiteral {
  floor: number
  /** False when a digit below the millisecond is not zero: the instant is after `floor`. */
  exact: boolean
}

export type OrderOperator = Extract<CompareOperator, 'eq' | 'gt' | 'ge' | 'lt' | 'le'>

const dateTimePattern = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i

/**
 * The instant of a literal with a zone, or undefined. Stricter than `Date.parse`, which takes
 * February 30 and 24:00; a zone is required because without one the answer would depend on
 * the server's local time.
 */
export function parseInstantLiteral(text: string): InstantLiteral | undefined {
  const match = dateTimePattern.exec(text)
  if (!match) return undefined
  const [date = '', time = '', fraction = '', zone = ''] = match.slice(1, 5)
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  const [hour, minute, second] = time.split(':').map(Number) as [number, number, number]
  const [offsetHour = 0, offsetMinute = 0] = zone.length > 1 ? zone.slice(1).split(':').map(Number) : []
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return undefined
  // Whole seconds through Date.parse (zones included), the fraction added as digits: no digit
  // is lost to floating point, and before 1970 the fraction still counts forward.
  const seconds = Date.parse(`${date}T${time}${zone}`)
  if (Number.isNaN(seconds)) return undefined
  const digits = fraction.padEnd(3, '0')
  return { floor: seconds + Number(digits.slice(0, 3)), exact: /^0*$/.test(digits.slice(3)) }
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [4, 6, 9, 11].includes(month) ? 30 : 31
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return leap ? 29 : 28
}

/**
 * `v operator t` for whole-millisecond values `v`, as a comparison with a whole millisecond,
 * or `false` when no such value can satisfy it. For a literal strictly between `f` and `f + 1`:
 * v < t ⇔ v < f + 1, v <= t ⇔ v <= f, v > t ⇔ v > f, v >= t ⇔ v >= f + 1, and v = t never
 * (so `ne`, the negation of `eq`, always holds).
 */
export function onWholeMilliseconds(
  operator: OrderOperator,
  literal: InstantLiteral,
): { operator: OrderOperator; at: number } | false {
  const { floor, exact } = literal
  if (exact) return { operator, at: floor }
  switch (operator) {
    case 'eq':
      return false
    case 'lt':
    case 'ge':
      return { operator, at: floor + 1 }
    case 'le':
    case 'gt':
      return { operator, at: floor }
  }
}
