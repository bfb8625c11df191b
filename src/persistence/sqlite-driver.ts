import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
} from 'kysely'
import type { StatementSource } from './statement-cache.ts'

/**
 * The one SQLite connection, held by one user at a time (a transaction, a checkpoint, a
 * statement) and handed to the next waiter in arrival order when released.
 */
class ConnectionGate {
  private held = false
  private readonly waiting: Array<() => void> = []

  get isFree(): boolean {
    return !this.held
  }

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.held = false
  }
}

function run(database: SqliteDatabase, sql: string, parameters: readonly unknown[]): QueryResult<unknown> {
  return runPrepared(database.prepare(sql), parameters)
}

function runPrepared(statement: SqliteStatement, parameters: readonly unknown[]): QueryResult<unknown> {
  if (statement.reader) return { rows: statement.all(parameters) as unknown[] }
  const { changes, lastInsertRowid } = statement.run(parameters)
  return {
    numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
    insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
    rows: [],
  }
}

class SqliteConnection implements DatabaseConnection {
  constructor(private readonly database: SqliteDatabase) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return Promise.resolve(run(this.database, compiled.sql, compiled.parameters) as QueryResult<R>)
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.database.prepare(compiled.sql)
    if (!statement.reader) throw new Error('only statements that return rows can be streamed')
    for (const row of statement.iterate(compiled.parameters)) yield { rows: [row as R] }
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`

/**
 * Kysely's SQLite driver, with one addition: `runIfFree` runs a statement at once when nobody
 * holds the connection. Kysely passes every statement through several asynchronous layers (a
 * connection provider, a mutex, the driver): for a primary-key look-up that costs more time and
 * garbage than SQLite's own work, and the request paths run several per request. A statement
 * that finds the connection held (by a transaction, a checkpoint) returns undefined and takes
 * the usual way, so it never runs inside another caller's transaction.
 *
 * Reads that run at once share one read transaction until the event loop's turn ends. A
 * statement outside a transaction otherwise opens and closes its own: a lock and an unlock of
 * the database file (two fcntl calls) and a look at the WAL index, about 10 µs on a virtual
 * machine, which is more than a look-up in a small table costs, and a request reads several
 * times. The reads of one turn therefore see the database as it was at the turn's first read.
 * Threat: a request served from a snapshot older than the request, missing a revocation or a
 * lock another process (the CLI) committed before it was sent; the shared read ends when a
 * request arrives (`Store.refreshReads`), as well as when the turn ends: a turn that began in
 * the check phase ends only after the next poll phase has read new requests. Anything that
 * writes ends the shared read first (a write inside it would fail on a snapshot that another
 * process moved past), as does anyone who takes the connection, so this connection's own
 * changes are always seen (decision 0032).
 */
export class GatedSqliteDriver implements Driver {
  private readonly gate = new ConnectionGate()
  private readonly connection: SqliteConnection
  private sharedRead = false
  private readonly endSharedReadLater = () => this.endSharedRead()

  constructor(private readonly database: StatementSource) {
    this.connection = new SqliteConnection(database)
  }

  private beginSharedRead(): void {
    run(this.database, 'begin', [])
    this.sharedRead = true
    setImmediate(this.endSharedReadLater)
  }

  /** Ends the read transaction that reads share, if one is open (see the class comment). */
  endSharedRead(): void {
    if (!this.sharedRead) return
    this.sharedRead = false
    try {
      run(this.database, 'commit', [])
    } catch {
      // A read-only transaction has nothing to lose: end it whatever the commit said, so the
      // next statement does not run inside it.
      try {
        run(this.database, 'rollback', [])
      } catch {}
    }
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.gate.acquire()
    this.endSharedRead()
    return this.connection
  }

  async releaseConnection(): Promise<void> {
    this.gate.release()
  }

  runIfFree(sql: string, parameters: readonly unknown[]): QueryResult<unknown> | undefined {
    if (!this.gate.isFree) return undefined
    const statement = this.database.prepare(sql)
    if (!statement.readonly) this.endSharedRead()
    else if (!this.sharedRead) this.beginSharedRead()
    return runPrepared(statement, parameters)
  }

  /** Runs a statement for the holder of the connection (an open transaction): at once. */
  runHeld(sql: string, parameters: readonly unknown[]): QueryResult<unknown> {
    return run(this.database, sql, parameters)
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`))
  }

  async destroy(): Promise<void> {
    this.endSharedRead()
    this.database.close()
  }
}

/** Kysely's SQLite dialect on a given driver. */
export class GatedSqliteDialect extends SqliteDialect {
  constructor(private readonly driver: GatedSqliteDriver) {
    super({ database: () => Promise.reject(new Error('the driver holds the database')) })
  }

  override createDriver(): Driver {
    return this.driver
  }
}
