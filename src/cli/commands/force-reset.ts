import { readFileSync } from 'node:fs'
import { type Command, Option } from 'commander'
import type { BulkResetJobView } from '../../flows/bulk-reset/service.ts'
import { cliActor } from '../../observability/audit.ts'
import type { ResetMode } from '../../persistence/tables.ts'
import { isUuid } from '../../security/tokens.ts'
import { integerIn } from '../arguments.ts'
import { type GlobalOptions, withContext } from '../context.ts'
import { ProgressDisplay } from '../progress.ts'

interface ForceResetOptions {
  filter?: string
  idsFile?: string
  mode?: ResetMode
  dryRun?: boolean
  batchSize?: number
  json?: boolean
}

const summaryColumns = ['id', 'status', 'mode', 'total', 'done', 'failed', 'seconds']
/** Failures a run lists at the end; the job keeps all of them (admin API). */
const LISTED_FAILURES = 100

/** The ids of an `--ids-file`: one per line; blank lines and `#` comments are skipped. */
function readIds(command: Command, path: string): string[] {
  let text: string
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8')
  } catch (error) {
    const code = (error as { code?: string }).code
    command.error(
      `error: cannot read --ids-file ${path}: ${code === 'ENOENT' ? 'no such file' : String(error)}`,
    )
  }
  const ids: string[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    if (!isUuid(line))
      command.error(
        `error: --ids-file ${path} line ${index + 1} is not a user id (UUID): ${JSON.stringify(line.slice(0, 80))}`,
      )
    ids.push(line)
  })
  if (ids.length === 0) command.error(`error: --ids-file ${path} names no user id`)
  return ids
}

export function registerForceResetCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('force-reset')
    .description(
      'Force password resets in bulk: every user a SCIM filter selects, or the ids in a file (with a progress bar)',
    )
    .addOption(
      new Option(
        '--filter <filter>',
        'SCIM filter over users, e.g. \'emails.value ew "@example.com"\'',
      ).conflicts('idsFile'),
    )
    .addOption(new Option('--ids-file <file>', "file of user ids, one per line ('-': standard input)"))
    .addOption(
      new Option('--mode <mode>', "reset mode (default: the tenant's)").choices([
        'email-link',
        'email-otp',
        'offline-otp',
      ]),
    )
    .option('--dry-run', 'count the users and name a few; change nothing')
    .option('--batch-size <n>', 'users per transaction', integerIn(1, 5000))
    .option('--json', 'machine-readable output')
    .action(async (options: ForceResetOptions, command: Command) => {
      if (options.filter === undefined && options.idsFile === undefined)
        command.error("error: name the users: --filter '<SCIM filter>' or --ids-file <file>")
      const selection =
        options.filter !== undefined
          ? { filter: options.filter }
          : { ids: readIds(command, options.idsFile!) }
      const json = options.json === true || globals().json === true
      await withContext({ ...globals(), json }, async ({ container, out, tenant }) => {
        const scope = await tenant()
        const request = { ...selection, mode: options.mode }
        if (options.dryRun) {
          const preview = await container.bulkResets.preview(scope, request)
          out.data(preview, {
            columns: ['count', 'mode', 'withoutEmail', 'sample'],
            rows: [
              {
                ...preview,
                withoutEmail: preview.withoutEmail ?? 'not checked',
                sample: preview.sample.join(', '),
              },
            ],
          })
          return
        }
        const runner = container.bulkResetRunner.withOptions(
          options.batchSize === undefined ? {} : { batchSize: options.batchSize },
        )
        const started = performance.now()
        // Created with this runner's lease: a server sharing the store does not start it too.
        // Interrupted, the job keeps its lease until it runs out; `rekey serve` then goes on with it.
        const created = await container.bulkResets.create(scope, request, {
          actor: cliActor,
          channel: 'cli',
          leaseOwner: runner.id,
        })
        out.info(`job ${created.id}: ${created.total.toLocaleString('en')} users, mode ${created.mode}`)
        const progress = new ProgressDisplay(process.stderr)
        progress.update(created)
        await runner.runJob(created.id, (counts) => progress.update(counts))
        progress.end()
        const job = await container.bulkResets.get(scope, created.id, { failures: LISTED_FAILURES })
        const seconds = Number(((performance.now() - started) / 1000).toFixed(1))
        printSummary(out, job, seconds)
        if (job.status !== 'completed')
          throw new Error(`job ${job.id} ended ${job.status}${job.error ? `: ${job.error}` : ''}`)
      })
    })
}

function printSummary(
  out: { json: boolean; data(value: unknown, table?: { columns: string[]; rows: readonly object[] }): void },
  job: BulkResetJobView,
  seconds: number,
): void {
  if (out.json) {
    out.data({ ...job, seconds })
    return
  }
  out.data(job, { columns: summaryColumns, rows: [{ ...job, seconds }] })
  if (job.failures && job.failures.length > 0)
    out.data(job.failures, { columns: ['userId', 'userName', 'reason'], rows: job.failures })
}
