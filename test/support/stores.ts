import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Config } from '../../src/config/schema.ts'
import { openStore, type Store } from '../../src/persistence/database.ts'
import { removeTestDirs, testConfig } from './config.ts'

export interface TestStore {
  kind: 'sqlite' | 'postgres'
  config: Config
  store: Store
  /** Closes the store and removes what the test created (the PostgreSQL schema). */
  dispose(): Promise<void>
}

export interface StoreKind {
  kind: 'sqlite' | 'postgres'
  /** Why the kind is skipped here, or false when it runs. */
  skip: string | false
  open(env?: Record<string, string>): Promise<TestStore>
}

const postgresUrl = process.env.REKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

export const sqliteKind: StoreKind = {
  kind: 'sqlite',
  skip: false,
  async open(env = {}) {
    const config = testConfig(env)
    const store = openStore(config)
    return {
      kind: 'sqlite',
      config,
      store,
      async dispose() {
        await store.close()
        removeTestDirs(config)
      },
    }
  },
}

/** Each PostgreSQL test store lives in its own schema, dropped afterwards. */
export const postgresKind: StoreKind = {
  kind: 'postgres',
  skip: process.env.REKEY_TEST_POSTGRES === 'skip' ? 'PostgreSQL is not reachable here' : false,
  async open(env = {}) {
    const schema = `rekey_test_${randomBytes(6).toString('hex')}`
    await withAdminClient((client) => client.query(`create schema ${schema}`))
    const config = testConfig({ DATABASE_URL: postgresUrl, ...env })
    const store = openStore(config, { searchPath: schema })
    return {
      kind: 'postgres',
      config,
      store,
      async dispose() {
        await store.close()
        await withAdminClient((client) => client.query(`drop schema ${schema} cascade`))
        removeTestDirs(config)
      },
    }
  },
}

export const storeKinds: readonly StoreKind[] = [sqliteKind, postgresKind]
