import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Config } from '../config/schema.ts'
import { type CheckpointOptions, startBackgroundCheckpoints } from './background-checkpoints.ts'
import type { Engine } from './dialect.ts'
import { useImmediateRunner, useTransactionBatcher } from './executor.ts'
import { migrationProvider } from './migrations/index.ts'
import { namePreparedStatements } from './prepared-statements.ts'
import { GatedSqliteDialect, GatedSqliteDriver } from './sqlite-driver.ts'
import { withStatementCache } from './statement-cache.ts'
import type { Database } from './tables.ts'
import { TransactionBatcher } from './transaction-batcher.ts'

// PostgreSQL returns bigint (int8) as strings by default; our bigint columns hold epoch
// milliseconds, which are exact in a double.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10))

export interface Store {
  db: Kysely<Database>
  engine: Engine
  /** Human description without credentials, for logs. */
  describe: string
  /**
   * Called as a request arrives: its reads then see every commit made before it, by any process
   * (the embedded store ends the read transaction its reads share, `GatedSqliteDriver`).
   */
  refreshReads(): void
  close(): Promise<void>
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://(unparseable)'
  }
}

export interface OpenStoreOptions {
  /** PostgreSQL schema to use (tests isolate runs in their own schema). */
  searchPath?: string
  /** SQLite: checkpoint the WAL from a worker thread (long-running servers). */
  backgroundCheckpoints?: boolean | CheckpointOptions
}

export function openStore(config: Config, options: OpenStoreOptions = {}): Store {
  const url = config.storage.database_url
  if (url !== '') {
    const pool = new pg.Pool({
      connectionString: url,
      max: config.storage.pool_size,
      connectionTimeoutMillis: config.storage.connect_timeout_ms,
      ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    })
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {})
    if (config.storage.prepared_statements) pool.on('connect', namePreparedStatements)
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    return {
      db,
      engine: 'postgres',
      describe: redactUrl(url),
      // Every statement runs in its own transaction or the caller's: nothing is shared.
      refreshReads: () => {},
      close: () => db.destroy(),
    }
  }
  mkdirSync(config.storage.data_dir, { recursive: true })
  const file = join(config.storage.data_dir, 'rekey.db')
  const sqlite = new SqliteDatabase(file)
  // WAL lets the CLI read and write while a server runs; NORMAL sync is durable across
  // process crashes (only an OS crash can lose the last transactions).
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  // Negative: a size in KiB rather than a number of pages. Kept small by default (decision
  // 0029): a commit after a page split walks every page the cache holds, and with the file
  // mapped the cache only needs the pages being written and those still in the WAL.
  sqlite.pragma(`cache_size = -${config.storage.sqlite_cache_mib * 1024}`)
  // Reads of pages the page cache does not hold go through the map: no read() and no copy per
  // page. A failing disk then shows as SIGBUS rather than an I/O error; WAL writes are not mapped.
  sqlite.pragma(`mmap_size = ${config.storage.sqlite_mmap_mib * 1024 * 1024}`)
  // A WAL that grew under a burst of writes is cut back to this size when it starts over.
  sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`)
  // Temporary tables (a RETURNING clause's results, a compound or DISTINCT select, a sort no
  // index serves) in memory: with the default temporary files each such statement costs about
  // 150 µs of set-up even when nothing reaches the disk, against 2 µs, and the reset's writes
  // run several. The price is memory: such a structure is never spilled to disk, so a sort of a
  // whole tenant's users by a claim (SCIM sortBy) holds them in RAM, tens of MB at 100,000
  // users. What it holds (claims, addresses) never reaches a disk block either.
  sqlite.pragma('temp_store = MEMORY')
  const driver = new GatedSqliteDriver(withStatementCache(sqlite))
  const db = new Kysely<Database>({ dialect: new GatedSqliteDialect(driver) })
  useTransactionBatcher(
    db,
    new TransactionBatcher(db, (text, parameters) => driver.runHeld(text, parameters)),
  )
  useImmediateRunner(db, (text, parameters) => driver.runIfFree(text, parameters))
  const checkpoints = options.backgroundCheckpoints
    ? startBackgroundCheckpoints(
        sqlite,
        file,
        (work) => db.connection().execute(async () => work()),
        options.backgroundCheckpoints === true ? {} : options.backgroundCheckpoints,
      )
    : undefined
  return {
    db,
    engine: 'sqlite',
    describe: `sqlite:${file}`,
    refreshReads: () => driver.endSharedRead(),
    async close() {
      await checkpoints?.stop()
      await db.destroy()
    },
  }
}

/**
 * The schema PostgreSQL creates unqualified tables in (the first of the search path). Kysely's
 * migrator looks for its own tables in every schema of the database unless it is told one, so
 * a second deployment (or test store) in another schema of the same database would find the
 * first one's migration tables, skip creating its own and then fail on them.
 */
async function currentPostgresSchema(db: Kysely<Database>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)
  return rows[0]?.schema ?? undefined
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const schema = await currentPostgresSchema(db)
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    migrationTableName: 'rekey_migrations',
    migrationLockTableName: 'rekey_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
  // On PostgreSQL the migrator takes a lock. Kysely's SQLite adapter does not, so a second
  // process migrating the same file at the same moment (a CLI command while `serve` starts)
  // fails on the tables the first one just created; by the time it retries, the migration
  // is recorded and there is nothing left to do.
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest()
    if (!error)
      return (results ?? [])
        .filter((result) => result.status === 'Success')
        .map((result) => result.migrationName)
    const message = error instanceof Error ? error.message : String(error)
    // On PostgreSQL the migrator first lists the tables of every schema in the database
    // (Kysely's introspector); another deployment or test store dropping its schema at that
    // moment makes the listing fail on a relation that just vanished. The migration runs in a
    // transaction, so trying again starts clean.
    if (attempt >= 5 || !/already exists|database is locked|SQLITE_BUSY|does not exist/.test(message))
      throw error
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
  }
}
