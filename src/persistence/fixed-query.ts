import type { Compilable, Kysely } from 'kysely'
import { isPostgres } from './dialect.ts'
import { type Executor, executeRaw } from './executor.ts'
import { registerPrepared } from './prepared-statements.ts'
import type { Database } from './tables.ts'

const PARAMETER = Symbol('fixed query parameter')

interface Placeholder {
  [PARAMETER]: string
}

const isPlaceholder = (value: unknown): value is Placeholder =>
  typeof value === 'object' && value !== null && PARAMETER in value

/** Names a parameter while the query is built; the call's value of that name is bound. */
export type ParameterOf<Params> = <Name extends keyof Params & string>(name: Name) => Params[Name]

interface Shape {
  sql: string
  names: string[]
}

/**
 * A query whose shape never changes, built and compiled once per SQL dialect; each call only
 * binds its values. Building and compiling a Kysely query costs about as much as running a
 * primary-key look-up on SQLite, and the hot paths (authentication, reading and writing one
 * user) run several per request.
 *
 * Every value in the built query must be a named parameter: a literal would be frozen into
 * the first compilation for all later calls, so one is refused at the first call instead.
 */
export function fixedQuery<Params extends object, Row>(
  build: (db: Kysely<Database>, parameter: ParameterOf<Params>) => Compilable<Row>,
): (db: Executor, params: Params) => Promise<{ rows: Row[]; numAffectedRows?: bigint }> {
  const shapes = new Map<boolean, Shape>()
  const shapeFor = (db: Executor): Shape => {
    const postgres = isPostgres(db)
    let shape = shapes.get(postgres)
    if (!shape) {
      const parameter = ((name: string) => ({ [PARAMETER]: name })) as ParameterOf<Params>
      const compiled = build(db, parameter).compile()
      const names = compiled.parameters.map((value, index) => {
        if (!isPlaceholder(value))
          throw new Error(`fixed query parameter ${index + 1} is a literal, not a named parameter`)
        return value[PARAMETER]
      })
      shape = { sql: compiled.sql, names }
      shapes.set(postgres, shape)
      if (postgres) registerPrepared(compiled.sql)
    }
    return shape
  }
  return async (db, params) => {
    const { sql, names } = shapeFor(db)
    const values = names.map((name) => (params as Record<string, unknown>)[name])
    const result = await executeRaw<Row>(db, sql, values)
    return result.numAffectedRows === undefined
      ? { rows: result.rows }
      : { rows: result.rows, numAffectedRows: result.numAffectedRows }
  }
}
