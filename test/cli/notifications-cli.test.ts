import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../src/config/load.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { DEFAULT_TEMPLATES } from '../../src/notifications/templates/index.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { isolateCliStore, runCliInProcess } from '../support/cli-in-process.ts'
import { cliStoreVariants, postgresUrl, withPostgres } from '../support/cli-stores.ts'
import { tempDir } from '../support/config.ts'
import { type CliResult, childEnv, runCli, waitFor } from '../support/processes.ts'
import { SmtpSink } from '../support/smtp-sink.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = fileURLToPath(new URL('../../bin/rekey.js', import.meta.url))
const RESET = 'AdminForcedPasswordReset'
const LINK = 'https://rekey.example/reset?token=LIVE-TOKEN-1'

const variants = cliStoreVariants

// One scenario per store, in order, as an operator's session would go. Every step is a real
// `rekey` process; messages are queued from this process on the same store, since no flow
// queues mail yet.
for (const variant of variants) {
  describe(`${variant.name}: notification commands`, { skip: variant.skip, timeout: 600_000 }, () => {
    const dir = tempDir('rekey-notifications-cli-')
    const schema = `rekey_notify_cli_${randomBytes(6).toString('hex')}`
    const env: Record<string, string> = {
      REKEY_DATA_DIR: join(dir, 'data'),
      REKEY_ADMIN_PASSWORD: 'Operator-Password-For-Tests-1',
    }
    let sink: SmtpSink
    const withSmtp = () => ({ ...env, REKEY_SMTP_URL: sink.url() })
    const file = (name: string, content: string | Buffer) => {
      const path = join(dir, name)
      writeFileSync(path, content)
      return path
    }

    const cli = (args: string[], input?: string, cliEnv = env): Promise<CliResult> =>
      runCli(args, cliEnv, input)

    before(async () => {
      sink = await SmtpSink.start({ security: 'plain' })
      if (variant.name === 'postgres') {
        await withPostgres((client) => client.query(`create schema ${schema}`))
        env.DATABASE_URL = `${postgresUrl}?options=-c%20search_path%3D${schema}`
      }
    })
    after(async () => {
      await sink.stop()
      if (variant.name === 'postgres')
        await withPostgres((client) => client.query(`drop schema if exists ${schema} cascade`))
      rmSync(dir, { recursive: true, force: true })
    })

    /** A container on the same store, to act and check without trusting the commands' output. */
    async function inspect<T>(work: (container: Container) => Promise<T>): Promise<T> {
      const { config } = loadConfig({
        env: { ...env, REKEY_PASSWORDS_ARGON2_MEMORY_KIB: '1024', REKEY_PASSWORDS_ARGON2_ITERATIONS: '1' },
        cwd: dir,
      })
      const container = buildContainer(config, { logger: createLogger('silent') })
      try {
        return await work(container)
      } finally {
        await container.close()
      }
    }

    /** Queues a forced-reset message as the flow will, in a transaction of its own. */
    function enqueue(to: string): Promise<string> {
      return inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        const queued = await inTransaction(container.store.db, (trx) =>
          container.notifier.enqueue(trx, {
            tenant,
            type: RESET,
            to,
            values: { 'user-name': 'alex', 'reset-link': LINK, 'expiry-minutes': '30' },
            idempotencyKey: `test:${randomBytes(8).toString('hex')}`,
          }),
        )
        assert.ok(queued.queued)
        return queued.id
      })
    }

    const templateOf = (locale: string, type = RESET) =>
      inspect(async (container) =>
        container.templates.get(await container.tenants.require('carbon.super'), type, locale),
      )

    it('lists the templates of the tenant, every shipped default included', async () => {
      const table = await cli(['template', 'list'])
      assert.equal(table.code, 0, table.stderr)
      const lines = table.stdout.trimEnd().split('\n')
      assert.match(lines[0]!, /^TYPE\s+LOCALE\s+CUSTOMIZED\s+UPDATEDAT$/)
      assert.equal(lines.length, 11, 'five types in en and fr')
      assert.match(table.stdout, /^AdminForcedPasswordReset\s+fr\s+false\s+-$/m)
    })

    it('shows a template (English by default), or one field exactly as stored', async () => {
      const shown = await cli(['template', 'show', RESET])
      assert.equal(shown.code, 0, shown.stderr)
      const english = DEFAULT_TEMPLATES.en![RESET]
      assert.match(shown.stdout, /^locale\s+en$/m)
      const subjectLine = shown.stdout.split('\n').find((line) => line.startsWith('subject '))
      assert.equal(subjectLine?.replace(/^subject\s+/, ''), english.subject)
      assert.ok(shown.stdout.includes(`== text ==\n${english.text.trimEnd()}`))
      assert.ok(shown.stdout.includes(`== html ==\n${english.html.trimEnd()}`))
      const subject = await cli(['template', 'show', 'PasswordResetSuccess', 'FR', '--field', 'subject'])
      assert.equal(subject.stdout, DEFAULT_TEMPLATES.fr!.PasswordResetSuccess.subject)
    })

    it('saves a template from files and standard input', async () => {
      const html = '<p>Hello {{user-name}},</p>\n<p><a href="{{reset-link}}">Choose a new password</a></p>\n'
      const text = 'Hello {{ user-name }},\nOpen {{reset-link}} within {{expiry-minutes}} minutes.\n'
      const saved = await cli(
        [
          '--json',
          'template',
          'set',
          RESET,
          'en',
          '--subject-file',
          file('subject.txt', 'Choose a new password for {{tenant-domain}}\n'),
          '--html-file',
          file('reset.html', html),
          '--text-stdin',
        ],
        text,
      )
      assert.equal(saved.code, 0, saved.stderr)
      assert.equal(JSON.parse(saved.stdout).customized, true)
      const stored = await templateOf('en')
      assert.equal(
        stored.subject,
        'Choose a new password for {{tenant-domain}}',
        'one trailing line break dropped',
      )
      assert.equal(stored.html, html)
      assert.equal(stored.text, text)
      assert.equal(stored.updatedBy, 'cli')
    })

    it('refuses an invalid template with every problem at its file, line and column', async () => {
      const html = file(
        'broken.html',
        '<p>Hello {{userName}},</p>\n<p>Open\n<a href={{reset-link}}>it</a></p>\n',
      )
      const text = file('broken.txt', 'Hello,\nno link here {{ oops\n')
      const refused = await cli([
        'template',
        'set',
        RESET,
        'en',
        '--subject',
        'Reset: {{reset-link}}',
        '--html-file',
        html,
        '--text-file',
        text,
      ])
      assert.equal(refused.code, 6, refused.stderr)
      assert.equal(refused.stdout, '')
      const lines = refused.stderr.trimEnd().split('\n')
      assert.match(lines[0]!, /^error: template\.invalid: .*was not saved: 5 problems\.$/)
      assert.match(lines[1]!, /^ {2}\/subject: --subject:1:8: "\{\{reset-link\}\}" is a secret/)
      assert.equal(
        lines[2],
        `  /html: ${html}:1:10: Unknown placeholder "{{userName}}"; did you mean "{{user-name}}"?`,
      )
      assert.match(lines[3]!, new RegExp(`^ {2}/html: ${html}:3:9: .*quoted attribute`))
      assert.match(lines[4]!, new RegExp(`^ {2}/text: ${text}:2:14: .*not closed`))
      assert.match(
        lines[5]!,
        new RegExp(`^ {2}/text: ${text}: The text body must contain "\\{\\{reset-link\\}\\}"`),
      )
      assert.equal(lines.length, 6)
      assert.equal(
        (await templateOf('en')).subject,
        'Choose a new password for {{tenant-domain}}',
        'unchanged',
      )
    })

    it('previews the saved template, or a draft, with sample values', async () => {
      const saved = await cli(['template', 'preview', RESET])
      assert.equal(saved.code, 0, saved.stderr)
      assert.match(saved.stdout, /^subject\s+Choose a new password for carbon\.super$/m)
      assert.ok(saved.stdout.includes('Open https://rekey.example/reset?token=EXAMPLE within 30 minutes.'))
      const draft = await cli([
        '--json',
        'template',
        'preview',
        RESET,
        'fr',
        '--subject',
        'Bonjour {{first-name}}',
        '--html-file',
        file('draft.html', '<a href="{{reset-link}}">{{first-name}}</a>'),
        '--text-file',
        file('draft.txt', '{{reset-link}}'),
      ])
      assert.equal(draft.code, 0, draft.stderr)
      assert.deepEqual(JSON.parse(draft.stdout), {
        type: RESET,
        locale: 'fr',
        draft: true,
        subject: 'Bonjour Alex',
        html: '<a href="https://rekey.example/reset?token=EXAMPLE">Alex</a>',
        text: 'https://rekey.example/reset?token=EXAMPLE',
      })
      assert.equal((await templateOf('fr')).customized, false, 'a preview saves nothing')
    })

    it('resets a template to the shipped default', async () => {
      const reset = await cli(['template', 'reset', RESET, 'en'])
      assert.equal(reset.code, 0, reset.stderr)
      assert.match(reset.stdout, /^AdminForcedPasswordReset\s+en\s+false\s+-$/m)
      const current = await templateOf('en')
      assert.equal(current.customized, false)
      assert.equal(current.html, DEFAULT_TEMPLATES.en![RESET].html)
    })

    it('delivers queued mail to the built-in mailbox, where it can be read (and the reading is audited)', async () => {
      const id = await enqueue('alex@example.com')
      const queued = await cli(['--json', 'outbox', 'list', '--status', 'queued'])
      assert.equal(queued.code, 0, queued.stderr)
      const listed = JSON.parse(queued.stdout)
      assert.deepEqual(
        listed.messages.map((message: { id: string }) => message.id),
        [id],
      )
      assert.deepEqual(listed.counts, { queued: 1, sent: 0, dead: 0 })

      const work = await cli(['--json', 'outbox', 'work', '--until-empty'])
      assert.equal(work.code, 0, work.stderr)
      assert.deepEqual(JSON.parse(work.stdout), { attempted: 1, smtp: 0, mailbox: 1, retried: 0, dead: 0 })
      assert.match(work.stderr, /^Batch: 1 message: 1 delivered to the built-in mailbox$/m)

      const list = await cli(['mailbox', 'list', '--to', 'alex@example.com'])
      assert.equal(list.code, 0, list.stderr)
      assert.match(list.stdout, /^ID\s+DELIVERED\s+TO\s+TYPE\s+SUBJECT$/m)
      assert.match(
        list.stdout,
        new RegExp(
          `^${id}\\s+\\S+Z\\s+alex@example\\.com\\s+${RESET}\\s+Action required: .*carbon\\.super$`,
          'm',
        ),
      )
      const text = await cli(['mailbox', 'show', id])
      assert.equal(text.code, 0, text.stderr)
      assert.match(text.stdout, /^To: {6}alex@example\.com$/m)
      assert.ok(text.stdout.includes(`\n\nHello alex,\n`), text.stdout)
      assert.ok(text.stdout.includes(LINK))
      const html = await cli(['mailbox', 'show', id, '--html'])
      assert.ok(html.stdout.includes(`href="${LINK}"`), html.stdout)

      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        const reads = await container.audit.list(container.store.db, {
          tenantId: tenant.id,
          limit: 10,
          action: 'mailbox.read',
        })
        assert.deepEqual(
          reads.map((event) => [event.actor, event.target]),
          [
            ['cli:cli', id],
            ['cli:cli', id],
          ],
        )
      })
    })

    it('sends a test message through the relay and prints its answer', async () => {
      const unconfigured = await cli(['smtp', 'test', '--to', 'ops@example.com'])
      assert.equal(unconfigured.code, 5, unconfigured.stderr)
      assert.match(unconfigured.stderr, /smtp\.not-configured: Mail goes to the built-in mailbox/)

      sink.reset()
      const sent = await cli(['--json', 'smtp', 'test', '--to', 'ops@example.com'], undefined, withSmtp())
      assert.equal(sent.code, 0, sent.stderr)
      const answer = JSON.parse(sent.stdout)
      assert.equal(answer.kind, 'sent')
      assert.match(answer.response, /^250 .*queued as sink-1/)
      const [message] = await sink.waitForMessages(1)
      assert.deepEqual(message!.rcptTo, ['ops@example.com'])
      assert.equal(message!.parsed.subject, 'Rekey SMTP test')
      assert.match(message!.parsed.text ?? '', /This is a test message from Rekey/)

      sink.rejectNext(1, { code: 550, at: 'rcpt', message: 'No such mailbox' })
      const refused = await cli(['smtp', 'test', '--to', 'nobody@example.com'], undefined, withSmtp())
      assert.equal(refused.code, 1, refused.stderr)
      assert.match(refused.stdout, /^kind\s+permanent$/m)
      assert.match(
        refused.stderr,
        /^error: the test message was not sent through smtp:\/\/127\.0\.0\.1:\d+ .*550 No such mailbox/m,
      )
      assert.equal(sink.messages.length, 1)
    })

    it('shows a message the relay refused as dead, with its attempts, and resends it', async () => {
      sink.reset()
      const id = await enqueue('dead@example.com')
      sink.rejectNext(1, { code: 550, message: 'Mailbox unavailable' })
      const first = await cli(['--json', 'outbox', 'work', '--until-empty'], undefined, withSmtp())
      assert.equal(first.code, 0, first.stderr)
      // stdout holds the answer alone: the worker's warning about the dead message is on stderr.
      assert.deepEqual(JSON.parse(first.stdout), { attempted: 1, smtp: 0, mailbox: 0, retried: 0, dead: 1 })
      assert.match(first.stderr, /message dead/)

      const dead = await cli(['outbox', 'list', '--status', 'dead'])
      assert.equal(dead.code, 0, dead.stderr)
      assert.match(dead.stdout, /^ID\s+CREATED\s+TO\s+TYPE\s+STATUS\s+ATTEMPTS\s+LASTERROR$/m)
      assert.match(
        dead.stdout,
        new RegExp(
          `^${id}\\s+\\S+\\s+dead@example\\.com\\s+${RESET}\\s+dead\\s+1\\s+rejected by the server.*550`,
          'm',
        ),
      )
      assert.match(dead.stdout, /^0 queued, 1 sent, 1 dead$/m)

      const shown = await cli(['outbox', 'show', id])
      assert.equal(shown.code, 0, shown.stderr)
      assert.match(shown.stdout, /^status\s+dead$/m)
      assert.match(shown.stdout, /^AT\s+WORKER\s+OUTCOME\s+DETAIL$/m)
      assert.match(shown.stdout, /\spermanent\s+rejected by the server.*550 Mailbox unavailable$/m)

      const resent = await cli(['outbox', 'resend', id])
      assert.equal(resent.code, 0, resent.stderr)
      assert.match(resent.stdout, new RegExp(`^${id}\\s.*\\squeued\\s+0\\s+-$`, 'm'))

      const second = await cli(['--json', 'outbox', 'work', '--until-empty'], undefined, withSmtp())
      assert.deepEqual(JSON.parse(second.stdout), { attempted: 1, smtp: 1, mailbox: 0, retried: 0, dead: 0 })
      const [delivered] = await sink.waitForMessages(1)
      assert.deepEqual(delivered!.rcptTo, ['dead@example.com'])
      assert.equal(delivered!.parsed.messageId, `<${id}@rekey>`)
      assert.ok(delivered!.parsed.text?.includes(LINK))

      const history = JSON.parse((await cli(['--json', 'outbox', 'show', id])).stdout)
      assert.equal(history.message.status, 'sent')
      assert.equal(history.message.bodyKept, false, 'erased once the relay took it')
      assert.deepEqual(
        history.history.map((attempt: { outcome: string }) => attempt.outcome),
        ['permanent', 'sent'],
      )
      const again = await cli(['outbox', 'resend', id])
      assert.equal(again.code, 5, 'the body is gone: nothing to resend')
      assert.match(again.stderr, /outbox\.not-resendable/)
    })

    it('runs the worker in the foreground until SIGTERM, a line per batch', async () => {
      const child = spawn(process.execPath, [bin, 'outbox', 'work'], {
        cwd: root,
        env: childEnv({ ...env, REKEY_NOTIFICATIONS_POLL_INTERVAL_MS: '100' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk) => {
        stdout += chunk
      })
      child.stderr.on('data', (chunk) => {
        stderr += chunk
      })
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      try {
        await waitFor('the worker to start', async () => (/stop with Ctrl-C/.test(stderr) ? true : undefined))
        const id = await enqueue('later@example.com')
        await waitFor('a batch line', async () => (/^Batch: 1 message/m.test(stderr) ? true : undefined))
        child.kill('SIGTERM')
        assert.equal(await exited, 0, stderr)
        assert.match(stderr, /^Stopped\. 1 message: 1 delivered to the built-in mailbox\.$/m)
        assert.match(stdout, /^ATTEMPTED\s+SMTP\s+MAILBOX\s+RETRIED\s+DEAD\n1\s+0\s+1\s+0\s+0$/m)
        const box = JSON.parse((await cli(['--json', 'mailbox', 'list', '--to', 'later@example.com'])).stdout)
        assert.deepEqual(
          box.messages.map((message: { id: string }) => message.id),
          [id],
        )
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL')
      }
    })
  })
}

describe('notification commands refuse bad arguments with exit 2, before the store is opened', () => {
  const dir = isolateCliStore('rekey-notifications-usage-')

  // In this process: each case is refused while parsing or reading its files.
  const run = runCliInProcess

  const missing = join(dir, 'missing.html')
  const latin1 = join(dir, 'latin1.txt')
  const set = ['template', 'set', RESET, 'en']
  const cases: Array<[string[], RegExp]> = [
    [
      ['template', 'show', 'PasswordReset'],
      /argument 'type'\. Allowed choices are AdminForcedPasswordReset, /,
    ],
    [
      ['template', 'show', RESET, '../en'],
      /argument 'locale'\. expected a locale tag such as en, fr or pt-BR/,
    ],
    [['template', 'show', RESET, '--field', 'body'], /Allowed choices are subject, html, text/],
    [set, /give the subject \(--subject or --subject-file\), the HTML body/],
    [
      [...set, '--subject', 's', '--html-file', missing],
      /a template needs all three fields; add --text-file <file> or --text-stdin$/m,
    ],
    [[...set, '--subject', 's', '--subject-file', missing], /'--subject <text>' cannot be used with/],
    [[...set, '--html-stdin', '--text-stdin'], /'--html-stdin' cannot be used with option '--text-stdin'/],
    [
      [...set, '--subject', 's', '--html-file', missing, '--text-file', missing],
      /cannot read --html-file .*missing\.html: no such file/,
    ],
    [
      [...set, '--subject', 's', '--html-file', dir, '--text-file', missing],
      /cannot read --html-file .*: it is a directory/,
    ],
    [
      [...set, '--subject', 's', '--html-file', latin1, '--text-file', latin1],
      /--html-file .*latin1\.txt is not UTF-8 text/,
    ],
    [['template', 'reset', RESET], /missing required argument 'locale'/],
    [['smtp', 'test'], /required option '--to <address>' not specified/],
    [['smtp', 'test', '--to', 'Alex <alex@example.com>'], /--to.*expected one email address/],
    [['smtp', 'test', '--to', 'a@example.com,b@example.com'], /--to.*expected one email address/],
    [['outbox', 'list', '--status', 'lost'], /Allowed choices are queued, sent, dead/],
    [['outbox', 'list', '--limit', '0'], /--limit.*integer from 1 to 1000/],
    [['outbox', 'show'], /missing required argument 'id'/],
    [['outbox', 'work', '--forever'], /unknown option '--forever'/],
    [['mailbox', 'list', '--to', 'nobody'], /--to.*expected one email address/],
    [['mailbox', 'show'], /missing required argument 'id'/],
  ]
  before(() => writeFileSync(latin1, Buffer.from('caf\xe9', 'latin1')))
  for (const [args, message] of cases) {
    it(`rekey ${args.join(' ')}`, async () => {
      const answer = await run(args)
      assert.equal(answer.code, 2, answer.err)
      assert.match(answer.err, message)
      assert.equal(answer.out, '')
    })
  }
})
