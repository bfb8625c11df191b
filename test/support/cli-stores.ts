import pg from 'pg'

/** The PostgreSQL server the suites use (see scripts/run-tests.mjs). */
export const postgresUrl = process.env.REKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** The stores a CLI scenario runs on: SQLite always, PostgreSQL unless the runner found none. */
export const cliStoreVariants = [
  { name: 'sqlite', skip: false as string | false },
  {
    name: 'postgres',
    skip:
      process.env.REKEY_TEST_POSTGRES === 'skip'
        ? 'PostgreSQL is not reachable here'
        : (false as string | false),
  },
]

/** A short-lived administrative connection (creating and dropping a scenario's schema). */
export async function withPostgres<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
