import { type Kysely, sql } from 'kysely'
import { isPostgres } from '../dialect.ts'
import { dropForeignKeys } from './foreign-keys.ts'

/**
 * A bulk job's targets without their foreign key to the job. The key re-read (and on PostgreSQL
 * share-locked) the job's row once per target written: for a job of 100,000 users, about 0.3 s
 * of the creating transaction on PostgreSQL, half of the insert of the targets. Targets are
 * only written with their job, in the transaction that creates it, and removed as they are
 * forced or when the job ends; nothing deletes jobs, so the cascade never acted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await dropForeignKeys(db, 'bulk_reset_targets')
    return
  }
  // SQLite cannot drop a constraint: the table is rebuilt (it only holds running jobs' targets).
  await rebuildSqliteTargets(db, sql``)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const key = sql`, constraint bulk_reset_targets_job_fk foreign key (job_id) references bulk_reset_jobs (id) on delete cascade`
  if (isPostgres(db)) {
    await sql`alter table bulk_reset_targets add constraint bulk_reset_targets_job_fk foreign key (job_id) references bulk_reset_jobs (id) on delete cascade`.execute(
      db,
    )
    return
  }
  await rebuildSqliteTargets(db, key)
}

/**
 * In one transaction: Kysely runs SQLite migrations without one, and a process stopped between
 * the drop and the rename would leave no targets table and a migration that cannot run again.
 */
async function rebuildSqliteTargets(db: Kysely<unknown>, foreignKey: ReturnType<typeof sql>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const statements = [
      sql`create table bulk_reset_targets_rebuilt (job_id varchar(36) not null, user_id varchar(36) not null, constraint bulk_reset_targets_pk primary key (job_id, user_id)${foreignKey})`,
      sql`insert into bulk_reset_targets_rebuilt (job_id, user_id) select job_id, user_id from bulk_reset_targets`,
      sql`drop table bulk_reset_targets`,
      sql`alter table bulk_reset_targets_rebuilt rename to bulk_reset_targets`,
    ]
    for (const statement of statements) await statement.execute(trx)
  })
}
