import { CompiledQuery } from 'kysely'
import { isPostgres } from './dialect.ts'
import { type Executor, executeRaw } from './executor.ts'
import { registerPrepared } from './prepared-statements.ts'

/**
 * Set-based statements for bulk writes: one multi-row INSERT, or one `… in (…)` statement, for
 * many rows. Their text is built here directly rather than through the query builder, whose
 * cost grows with every bound value (a thousand rows of twenty columns is twenty thousand
 * nodes to build and compile), and kept per shape, so a batch of the usual size reuses it.
 *
 * On PostgreSQL, values travel as one array per column (`unnest`) and lists as one array
 * (`= any`): the statement stays a few lines whatever the number of rows, where a VALUES list
 * of twenty thousand placeholders costs the server more to parse and plan than to run.
 */

/**
 * Values bound by one statement at most: SQLite refuses more than 32,766, PostgreSQL more
 * than 65,535. A longer list is split over several statements.
 */
const MAX_BOUND_VALUES = 30_000

const texts = new Map<string, string>()
const MAX_TEXTS = 200

function cached(key: string, build: () => string): string {
  let text = texts.get(key)
  if (text === undefined) {
    text = build()
    if (texts.size >= MAX_TEXTS) texts.clear()
    texts.set(key, text)
  }
  return text
}

/**
 * A PostgreSQL text of this module, run as a named prepared statement: its shape is fixed
 * while its values are arrays, so one text serves every batch size.
 */
function prepared(text: string): string {
  registerPrepared(text)
  return text
}

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
function numbered(text: string): string {
  let next = 0
  return text.replace(/\?/g, () => `$${++next}`)
}

/** Row-wise values as one list, without the intermediate arrays `flat()` builds. */
function flatten(rows: readonly (readonly unknown[])[], width: number): unknown[] {
  const values = new Array<unknown>(rows.length * width)
  let next = 0
  for (const row of rows) for (let column = 0; column < width; column++) values[next++] = row[column]
  return values
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}

export interface InsertRows {
  table: string
  columns: readonly string[]
  /** Values in the order of `columns`, one array per row. */
  rows: readonly (readonly unknown[])[]
  /** Raw text after the VALUES list: `on conflict (…) do …`, `returning …`. Never user input. */
  suffix?: string
}

/** Inserts the rows with as few statements as the engines' limits allow; returns the rows returned. */
export async function insertRows<Row = never>(db: Executor, insert: InsertRows): Promise<Row[]> {
  if (insert.rows.length === 0) return []
  const postgres = isPostgres(db)
  if (postgres) return insertColumns<Row>(db, insert)
  const width = insert.columns.length
  const returned: Row[] = []
  for (const part of chunks(insert.rows, Math.max(1, Math.floor(MAX_BOUND_VALUES / width)))) {
    const key = `i\u0000${postgres}\u0000${insert.table}\u0000${insert.columns.join(',')}\u0000${part.length}\u0000${insert.suffix ?? ''}`
    const text = cached(key, () => {
      const row = `(${insert.columns.map(() => '?').join(', ')})`
      const values = Array.from({ length: part.length }, () => row).join(', ')
      const columns = insert.columns.map((column) => `"${column}"`).join(', ')
      const plain = `insert into "${insert.table}" (${columns}) values ${values}${insert.suffix ? ` ${insert.suffix}` : ''}`
      return postgres ? numbered(plain) : plain
    })
    const result = await executeRaw<Row>(db, text, flatten(part, width))
    returned.push(...result.rows)
  }
  return returned
}

/** PostgreSQL's array type for each column of a table, read once from the catalog. */
const arrayTypes = new Map<string, Map<string, string>>()

async function arrayTypesOf(db: Executor, table: string): Promise<Map<string, string>> {
  let types = arrayTypes.get(table)
  if (!types) {
    const { rows } = await db.executeQuery<{ column_name: string; data_type: string }>(
      CompiledQuery.raw(
        'select column_name, data_type from information_schema.columns where table_schema = current_schema() and table_name = $1',
        [table],
      ),
    )
    types = new Map(
      rows.map((row) => [row.column_name, row.data_type === 'character varying' ? 'text' : row.data_type]),
    )
    arrayTypes.set(table, types)
  }
  return types
}

/** Joins a text column's values when none is null or holds the separator (PostgreSQL splits them). */
const SEPARATOR = '\u001f'

function joinedText(values: readonly unknown[]): string | undefined {
  // string_to_array('') is an empty array, not one empty string: one row goes as an array.
  if (values.length < 2) return undefined
  for (const value of values) if (typeof value !== 'string' || value.includes(SEPARATOR)) return undefined
  return values.join(SEPARATOR)
}

/** True when every row has the same primitive value (or null) in the column. */
function isConstant(values: readonly unknown[]): boolean {
  const first = values[0]
  if (first !== null && typeof first === 'object') return false
  for (const value of values) if (value !== first) return false
  return true
}

async function insertColumns<Row>(db: Executor, insert: InsertRows): Promise<Row[]> {
  const types = await arrayTypesOf(db, insert.table)
  const columns = insert.columns.map((_, index) => insert.rows.map((row) => row[index]))
  // A value every row shares (a batch's tenant, its time, a status, a column left null) goes
  // once, as a scalar, instead of as an array of thousands of copies the driver writes out and
  // the server parses and unnests. At least one column stays an array: it gives the row count.
  const constant = columns.map((values) => values.length > 1 && isConstant(values))
  if (constant.every(Boolean)) constant[0] = false
  // Long text (a sealed message body) parses several times faster as one joined string split
  // by string_to_array than as an array literal, whose every element is scanned for quotes
  // and escapes: one value per column either way.
  const joined = columns.map((values, index) =>
    !constant[index] && types.get(insert.columns[index]!) === 'text' ? joinedText(values) : undefined,
  )
  const shape = columns
    .map((_, index) => (constant[index] ? 'c' : joined[index] === undefined ? 'a' : 's'))
    .join('')
  const key = `u\u0000${insert.table}\u0000${insert.columns.join(',')}\u0000${shape}\u0000${insert.suffix ?? ''}`
  const text = cached(key, () => {
    const names = insert.columns.map((column) => `"${column}"`).join(', ')
    const arrays: string[] = []
    const selected = insert.columns.map((column, index) => {
      const type = types.get(column)
      if (!type) throw new Error(`no column ${insert.table}.${column}`)
      if (constant[index]) return `$${index + 1}::${type}`
      arrays.push(
        joined[index] === undefined
          ? `$${index + 1}::${type}[]`
          : `string_to_array($${index + 1}::text, chr(31))`,
      )
      return `u.c${arrays.length}`
    })
    const aliases = arrays.map((_, index) => `c${index + 1}`).join(', ')
    return prepared(
      `insert into "${insert.table}" (${names}) select ${selected.join(', ')} from unnest(${arrays.join(', ')}) as u(${aliases})${insert.suffix ? ` ${insert.suffix}` : ''}`,
    )
  })
  const values = columns.map((values, index) => (constant[index] ? values[0] : (joined[index] ?? values)))
  const result = await db.executeQuery<Row>(CompiledQuery.raw(text, values))
  return result.rows
}

export interface InListStatement {
  /**
   * The statement with `(:list)` where the list goes: `delete from t where user_id in (:list)`.
   * Every `?` is bound from `before` (placeholders ahead of the list) and `after`.
   */
  text: string
  before?: readonly unknown[]
  list: readonly unknown[]
  after?: readonly unknown[]
}

/**
 * Runs a statement once per slice of `list`, with the slice in place of its `(:list)`; returns
 * the rows returned and the number of rows changed.
 */
export async function runWithList<Row = never>(
  db: Executor,
  statement: InListStatement,
): Promise<{ rows: Row[]; changed: number }> {
  if (statement.list.length === 0) return { rows: [], changed: 0 }
  const postgres = isPostgres(db)
  const before = statement.before ?? []
  const after = statement.after ?? []
  if (postgres) {
    const text = cached(`a\u0000${statement.text}`, () =>
      prepared(numbered(statement.text.replace(' in (:list)', ' = any(?)'))),
    )
    const result = await db.executeQuery<Row>(
      CompiledQuery.raw(text, [...before, [...statement.list], ...after]),
    )
    return { rows: result.rows, changed: Number(result.numAffectedRows ?? 0) }
  }
  const rows: Row[] = []
  let changed = 0
  const size = Math.max(1, MAX_BOUND_VALUES - before.length - after.length)
  for (const part of chunks(statement.list, size)) {
    const key = `l\u0000${postgres}\u0000${statement.text}\u0000${part.length}`
    const text = cached(key, () => {
      const plain = statement.text.replace('(:list)', `(${part.map(() => '?').join(', ')})`)
      return postgres ? numbered(plain) : plain
    })
    const result = await executeRaw<Row>(db, text, [...before, ...part, ...after])
    rows.push(...result.rows)
    changed += Number(result.numAffectedRows ?? 0)
  }
  return { rows, changed }
}
