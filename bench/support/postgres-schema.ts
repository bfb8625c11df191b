import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { registerCleanup } from './cleanup.ts'

/**
 * PostgreSQL on 127.0.0.1 (`REKEY_TEST_DATABASE_URL` or the local `test` database) in a schema
 * of its own, dropped afterwards and on interrupt. `run` gets a URL whose search path is that
 * schema.
 */
export async function withPostgresSchema<T>(run: (databaseUrl: string) => Promise<T>): Promise<T> {
  const base = new URL(process.env.REKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
  if (base.hostname !== '127.0.0.1')
    throw new Error(`the benchmark only uses 127.0.0.1, not ${base.hostname}`)
  const schema = `rekey_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: base.toString() })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  const drop = registerCleanup(async () => {
    await admin.query(`drop schema ${schema} cascade`)
    await admin.end()
  })
  try {
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${schema}`)
    return await run(url.toString())
  } finally {
    await drop()
  }
}
