import { type RawBuilder, sql } from 'kysely'
import { compareCodePoints, comparisonKey } from '../../domain/comparison-key.ts'
import { scimError } from '../errors.ts'
import type { CompareOperator, FilterValue } from '../filter/ast.ts'
import { type InstantLiteral, onWholeMilliseconds, parseInstantLiteral } from '../filter/instant.ts'
import { and, type Condition, not } from './condition.ts'

/**
 * What a filter can compare, as the translator sees it. Each kind answers `pr` and the
 * comparison operators with a condition that is TRUE or FALSE, never NULL, so that `not` and
 * `ne` are exact negations on both engines.
 */
export type Operand =
  /** Text in the current row: the raw value and its comparison key. */
  | {
      kind: 'text'
      raw: RawBuilder<unknown>
      key: RawBuilder<unknown>
      caseExact: boolean
      nullable: boolean
    }
  /** A point in time as epoch milliseconds. */
  | { kind: 'instant'; expr: RawBuilder<unknown>; nullable: boolean }
  /** A boolean that may be absent (absent is neither true nor false). */
  | { kind: 'flag'; isTrue: Condition; isPresent: Condition }
  /** Text fixed at translation time (an element slot's type), or absent. */
  | { kind: 'constant'; value: string | undefined; caseExact?: boolean }

export interface Dialect {
  postgres: boolean
}

function expectText(value: FilterValue, operator: CompareOperator): string {
  if (typeof value !== 'string')
    throw scimError.invalidFilter(`The operator ${operator} compares text here: give a quoted string.`)
  return value
}

function expectFlag(value: FilterValue): boolean {
  if (typeof value === 'boolean') return value
  // Real clients send "True"/"False" as strings (documented deviation).
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true'
  throw scimError.invalidFilter('This attribute is a boolean: compare it with true or false.')
}

function textComparison(
  column: RawBuilder<unknown>,
  operator: CompareOperator,
  value: string,
  dialect: Dialect,
) {
  const length = [...value].length
  const ordered = dialect.postgres ? sql`${column} collate "C"` : column
  switch (operator) {
    case 'eq':
      return sql`${column} = ${value}`
    case 'co':
      return dialect.postgres ? sql`strpos(${column}, ${value}) > 0` : sql`instr(${column}, ${value}) > 0`
    case 'sw':
      return sql`substr(${column}, 1, ${length}) = ${value}`
    case 'ew':
      return sql`(length(${column}) >= ${length} and substr(${column}, length(${column}) - ${length} + 1) = ${value})`
    case 'gt':
      return sql`${ordered} > ${value}`
    case 'ge':
      return sql`${ordered} >= ${value}`
    case 'lt':
      return sql`${ordered} < ${value}`
    case 'le':
      return sql`${ordered} <= ${value}`
    case 'ne':
      throw new Error('ne is translated as not eq')
  }
}

function constantComparison(
  actual: string | undefined,
  operator: CompareOperator,
  value: string,
  caseExact: boolean,
): boolean {
  if (actual === undefined) return false
  const left = caseExact ? actual : comparisonKey(actual)
  const right = caseExact ? value : comparisonKey(value)
  switch (operator) {
    case 'eq':
      return left === right
    case 'co':
      return left.includes(right)
    case 'sw':
      return left.startsWith(right)
    case 'ew':
      return left.endsWith(right)
    case 'gt':
      return compareCodePoints(left, right) > 0
    case 'ge':
      return compareCodePoints(left, right) >= 0
    case 'lt':
      return compareCodePoints(left, right) < 0
    case 'le':
      return compareCodePoints(left, right) <= 0
    case 'ne':
      throw new Error('ne is translated as not eq')
  }
}

function instantOf(value: FilterValue): InstantLiteral {
  const instant = typeof value === 'string' ? parseInstantLiteral(value) : undefined
  if (!instant)
    throw scimError.invalidFilter(
      'This attribute is a date and time: compare it with a date and time with a zone, such as "2011-05-13T04:42:34Z".',
    )
  return instant
}

/** `pr`: the operand has a value (empty text counts as none, as storage never keeps it). */
export function presentCondition(operand: Operand): Condition {
  switch (operand.kind) {
    case 'text': {
      const notEmpty = sql`${operand.raw} <> ''`
      return operand.nullable ? sql`(${operand.raw} is not null and ${notEmpty})` : notEmpty
    }
    case 'instant':
      return operand.nullable ? sql`${operand.expr} is not null` : true
    case 'flag':
      return operand.isPresent
    case 'constant':
      return operand.value !== undefined && operand.value !== ''
  }
}

/** A comparison other than `ne` (the caller negates `eq`); `null` literals mean absence. */
export function compareCondition(
  operand: Operand,
  operator: Exclude<CompareOperator, 'ne'>,
  value: FilterValue,
  dialect: Dialect,
): Condition {
  if (value === null) {
    if (operator !== 'eq') throw scimError.invalidFilter(`null can only be compared with eq or ne.`)
    return not(presentCondition(operand))
  }
  switch (operand.kind) {
    case 'text': {
      const text = expectText(value, operator)
      const condition = operand.caseExact
        ? textComparison(operand.raw, operator, text, dialect)
        : textComparison(operand.key, operator, comparisonKey(text), dialect)
      return operand.nullable ? and(sql`${operand.raw} is not null`, condition) : condition
    }
    case 'instant': {
      if (operator === 'co' || operator === 'sw' || operator === 'ew')
        throw scimError.invalidFilter(`The operator ${operator} does not apply to a date and time.`)
      // Stored times are whole milliseconds; a literal may be finer (`instant.ts`).
      const comparison = onWholeMilliseconds(operator, instantOf(value))
      if (!comparison) return false
      const symbol = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' }[comparison.operator]
      const condition = sql`${operand.expr} ${sql.raw(symbol)} ${comparison.at}`
      return operand.nullable ? and(sql`${operand.expr} is not null`, condition) : condition
    }
    case 'flag': {
      if (operator !== 'eq') throw scimError.invalidFilter(`A boolean can only be compared with eq or ne.`)
      return and(operand.isPresent, expectFlag(value) ? operand.isTrue : not(operand.isTrue))
    }
    case 'constant':
      return constantComparison(
        operand.value,
        operator,
        expectText(value, operator),
        operand.caseExact ?? false,
      )
  }
}
