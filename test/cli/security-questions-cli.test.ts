import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { defaultSecurityQuestions } from '../../src/flows/security-questions/default-questions.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { isolateCliStore, runCliInProcess } from '../support/cli-in-process.ts'
import { cliStoreVariants, postgresUrl, withPostgres } from '../support/cli-stores.ts'
import { tempDir } from '../support/config.ts'
import { type CliResult, runCli } from '../support/processes.ts'

const ownList = [
  { id: 'first-pet', text: { en: 'Your first pet?', fr: 'Votre premier animal ?' } },
  { id: 'favourite-band', text: { en: 'Your favourite band?' } },
]

// One operator's session per store, in order; every step is a real `rekey` process.
for (const variant of cliStoreVariants) {
  describe(`${variant.name}: rekey security-questions`, { skip: variant.skip, timeout: 600_000 }, () => {
    const dir = tempDir('rekey-security-questions-cli-')
    const schema = `rekey_kba_cli_${randomBytes(6).toString('hex')}`
    const env: Record<string, string> = {
      REKEY_DATA_DIR: join(dir, 'data'),
      REKEY_ADMIN_PASSWORD: 'cli-kba-operator-pass-1',
      REKEY_PASSWORDS_ARGON2_MEMORY_KIB: '1024',
      REKEY_PASSWORDS_ARGON2_ITERATIONS: '1',
    }
    const cli = (args: string[], input?: string): Promise<CliResult> => runCli(args, env, input)
    const json = async (args: string[]) => {
      const result = await cli(['--json', ...args])
      assert.equal(result.code, 0, `rekey ${args.join(' ')}: ${result.stderr}`)
      return JSON.parse(result.stdout)
    }
    const file = (name: string, content: unknown) => {
      const path = join(dir, name)
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
      return path
    }

    /** A container on the same store, for what no command does (a user setting its answers). */
    async function inspect<T>(work: (container: Container) => Promise<T>): Promise<T> {
      const { config } = loadConfig({ env, cwd: dir })
      const container = buildContainer(config, { logger: createLogger('silent') })
      try {
        return await work(container)
      } finally {
        await container.close()
      }
    }

    before(async () => {
      if (variant.name === 'postgres') {
        await withPostgres((client) => client.query(`create schema ${schema}`))
        env.DATABASE_URL = `${postgresUrl}?options=-c%20search_path%3D${schema}`
      }
    })
    after(async () => {
      if (variant.name === 'postgres')
        await withPostgres((client) => client.query(`drop schema if exists ${schema} cascade`))
      rmSync(dir, { recursive: true, force: true })
    })

    it('shows the built-in list: a table of ids, locales and English texts, and where the list comes from', async () => {
      const shown = await cli(['security-questions', 'show'])
      assert.equal(shown.code, 0, shown.stderr)
      const [header, ...rows] = shown.stdout.trimEnd().split('\n')
      assert.match(header ?? '', /^ID\s+LOCALES\s+TEXT$/)
      assert.deepEqual(
        rows.map((row) => row.split(/\s{2,}/)),
        defaultSecurityQuestions.map((question) => [question.id, 'en,fr', question.text.en]),
      )
      assert.match(shown.stderr, /The built-in list: users answer 2, a reset asks 1\./)
      const view = await json(['security-questions', 'show'])
      assert.deepEqual(view, {
        questions: defaultSecurityQuestions,
        isDefault: true,
        answersRequired: 2,
        questionsAsked: 1,
      })
    })

    it('replaces the list from a file, in either form, and in the --tenant named only', async () => {
      const set = await json([
        'security-questions',
        'set',
        '--file',
        file('questions.json', { questions: ownList }),
      ])
      assert.deepEqual(set.questions, ownList)
      assert.equal(set.isDefault, false)
      assert.deepEqual(await json(['security-questions', 'show']), set)
      // What `show --json` prints is a valid file for `set`, and so is the bare list.
      assert.deepEqual(
        (await json(['security-questions', 'set', '--file', file('shown.json', set)])).questions,
        ownList,
      )
      assert.deepEqual(
        (await json(['security-questions', 'set', '--file', file('bare.json', ownList)])).questions,
        ownList,
      )

      const created = await cli(
        ['tenant', 'create', 'other.example', '--admin-password-stdin'],
        'other-tenant-pass-77',
      )
      assert.equal(created.code, 0, created.stderr)
      assert.equal((await json(['--tenant', 'other.example', 'security-questions', 'show'])).isDefault, true)
    })

    it('refuses a wrong list: exit 6, each problem located in the file, nothing saved', async () => {
      const wrapped = file('wrong.json', {
        questions: [
          { id: 'Bad Id', text: { en: 'A?' } },
          { id: 'b', text: { fr: 'Seulement en français ?' } },
        ],
      })
      const refused = await cli(['security-questions', 'set', '--file', wrapped])
      assert.equal(refused.code, 6, refused.stderr)
      assert.match(
        refused.stderr,
        /^error: security-questions\.invalid: The question list was not saved; nothing changed\.$/m,
      )
      assert.ok(
        refused.stderr.includes(`  ${wrapped}#/questions/0/id: must be 1 to 64 lower-case letters`),
        refused.stderr,
      )
      assert.ok(refused.stderr.includes(`  ${wrapped}#/questions/1/text/en: is required`), refused.stderr)
      const bare = file('wrong-bare.json', [{ id: 'only-one', text: { en: 'Only?' } }])
      const short = await cli(['security-questions', 'set', '--file', bare])
      assert.equal(short.code, 6, short.stderr)
      assert.ok(
        short.stderr.includes(`  ${bare}#/: must hold at least 2 questions: users answer 2`),
        short.stderr,
      )
      assert.deepEqual((await json(['security-questions', 'show'])).questions, ownList)
    })

    it('returns to the built-in list', async () => {
      const reset = await json(['security-questions', 'reset'])
      assert.equal(reset.isDefault, true)
      assert.deepEqual(reset.questions, defaultSecurityQuestions)
      const events = await json(['audit', 'list', '--action', 'security-questions.updated'])
      assert.deepEqual(
        events.events.map((event: { actor: string; detail: { count: number } }) => [
          event.actor,
          event.detail.count,
        ]),
        [
          ['cli:cli', defaultSecurityQuestions.length],
          ['cli:cli', 2],
          ['cli:cli', 2],
          ['cli:cli', 2],
        ],
      )
    })

    it("clears a user's answers (rekey user security-answers clear), audited", async () => {
      const created = await cli(['user', 'create', 'alex', '--password-stdin'], 'quartz-lantern-41')
      assert.equal(created.code, 0, created.stderr)
      const alexId = await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        const alex = await container.users.require(tenant, 'alex')
        await container.securityQuestions.setAnswers(
          tenant,
          alex.id,
          [
            { questionId: 'first-pet', answer: 'Rex' },
            { questionId: 'birth-city', answer: 'Lyon' },
          ],
          { kind: 'user', id: alex.id, name: 'alex' },
        )
        return alex.id
      })
      const cleared = await cli(['user', 'security-answers', 'clear', 'alex'])
      assert.equal(cleared.code, 0, cleared.stderr)
      assert.match(cleared.stdout, /^CLEARED\ntrue$/m)
      assert.deepEqual(await json(['user', 'security-answers', 'clear', alexId]), { cleared: false })
      const answered = await inspect(async (container) =>
        container.securityQuestions.answeredQuestionIds(
          (await container.tenants.require('carbon.super')).id,
          alexId,
        ),
      )
      assert.deepEqual(answered, [])
      const events = await json(['audit', 'list', '--action', 'security-answers.cleared'])
      assert.equal(events.events.length, 1)
      assert.equal(events.events[0].target, alexId)
      const missing = await cli(['user', 'security-answers', 'clear', 'nobody'])
      assert.equal(missing.code, 4, missing.stderr)
      assert.match(missing.stderr, /^error: user\.not-found/m)
    })
  })
}

describe('rekey security-questions set: unreadable files are usage errors, the store untouched', () => {
  const dir = isolateCliStore('rekey-security-questions-usage-')
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['missing.json', undefined, /cannot read --file .*missing\.json: no such file/],
    ['broken.json', '{"questions": [', /--file .*broken\.json is not JSON/],
    ['latin1.json', '\u00ff', /--file .*latin1\.json: it is not UTF-8 text/],
    ['other.json', '{"items": []}', /neither a list of questions nor \{"questions": \[…\]\}/],
    ['null.json', 'null', /neither a list of questions/],
  ]
  for (const [name, content, message] of cases) {
    it(name, async () => {
      mkdirSync(dir, { recursive: true })
      const path = join(dir, name)
      if (content !== undefined)
        writeFileSync(path, name === 'latin1.json' ? Buffer.from([0xff, 0xfe, 0x41]) : content)
      const answer = await runCliInProcess(['security-questions', 'set', '--file', path])
      assert.equal(answer.code, 2, answer.err)
      assert.match(answer.err, message)
      assert.equal(answer.out, '')
    })
  }
  it('needs --file', async () => {
    const answer = await runCliInProcess(['security-questions', 'set'])
    assert.equal(answer.code, 2)
    assert.match(answer.err, /required option '--file <file>' not specified/)
  })
})
