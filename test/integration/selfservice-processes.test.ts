import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { postgresUrl, withPostgres } from '../support/cli-stores.ts'
import { tempDir } from '../support/config.ts'
import { basicAuth } from '../support/harness.ts'
import { freePort, type ServeProcess, startServe, waitFor } from '../support/processes.ts'
import { COMPLETED, CURL_HEADERS } from '../support/selfservice.ts'
import { postgresKind } from '../support/stores.ts'

const ADMIN_PASSWORD = 'Operator-Chosen-Passphrase-7'
const admin = basicAuth('admin', ADMIN_PASSWORD)

interface Instance {
  url: string
  process: ServeProcess
}

interface Reply {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: answers are arbitrary JSON, asserted field by field
  body: any
}

async function request(
  url: string,
  method: string,
  body?: object,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  assert.ok(response.status < 500, `${method} ${url} answered ${response.status}: ${text}`)
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}

const step = (instance: Instance, body: object) =>
  request(`${instance.url}/openidm/selfservice/reset?_action=submitRequirements`, 'POST', body, {
    'x-openidm-username': CURL_HEADERS['x-openidm-username'],
    'x-openidm-password': CURL_HEADERS['x-openidm-password'],
  })

describe('self-service tokens across two server processes sharing a PostgreSQL database', {
  skip: postgresKind.skip,
  timeout: 120_000,
}, () => {
  const schema = `rekey_selfservice_${randomBytes(6).toString('hex')}`
  const dir = tempDir('rekey-selfservice-processes-')
  const instances: Instance[] = []

  const start = async (name: string, env: Record<string, string>): Promise<Instance> => {
    const port = await freePort()
    const process = startServe({ ...env, REKEY_PORT: String(port), REKEY_DATA_DIR: join(dir, name) })
    const instance = { url: `http://127.0.0.1:${port}`, process }
    instances.push(instance)
    const outcome = await waitFor(`${name} ready`, async () => {
      if (process.child.exitCode !== null) return 'exited'
      return (await fetch(`${instance.url}/readyz`)).status === 200 ? 'ready' : undefined
    })
    assert.equal(outcome, 'ready', process.output())
    return instance
  }

  before(async () => {
    await withPostgres((client) => client.query(`create schema ${schema}`))
    // Each its own data directory: only the configuration makes them one deployment.
    const env = {
      DATABASE_URL: `${postgresUrl}?options=-c%20search_path%3D${schema}`,
      REKEY_SECRET_KEY: randomBytes(32).toString('base64'),
      REKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '0',
    }
    // One after the other: the first start creates the tables and the administrator.
    await start('one', env)
    await start('two', env)
  })

  after(async () => {
    await Promise.all(instances.map((instance) => instance.process.stop()))
    await withPostgres((client) => client.query(`drop schema if exists ${schema} cascade`))
    rmSync(dir, { recursive: true, force: true })
  })

  /** The code of the newest reset-code mail, read through an instance's admin API as an operator would. */
  const mailedCode = (instance: Instance, seen: Set<string>) =>
    waitFor('the code in the built-in mailbox', async () => {
      const list = await request(
        `${instance.url}/api/admin/mailbox?recipient=${encodeURIComponent('jdoe@example.com')}`,
        'GET',
        undefined,
        { authorization: admin },
      )
      const message = list.body.messages.find(
        (candidate: { id: string; type: string }) =>
          candidate.type === 'SelfServiceResetCode' && !seen.has(candidate.id),
      )
      if (!message) return undefined
      seen.add(message.id)
      const read = await request(`${instance.url}/api/admin/mailbox/${message.id}`, 'GET', undefined, {
        authorization: admin,
      })
      return /^ {4}([A-Z2-9]{8})$/m.exec(read.body.text)?.[1]
    })

  it('a flow alternates between the two processes, attempts counted once for both', async () => {
    const [one, two] = instances as [Instance, Instance]
    const role = await request(
      `${one.url}/api/admin/roles`,
      'POST',
      { name: 'staff', permissions: ['login'] },
      { authorization: admin },
    )
    assert.equal(role.status, 201, JSON.stringify(role.body))
    const user = await request(
      `${two.url}/api/admin/users`,
      'POST',
      {
        username: 'jdoe',
        password: 'Seventh-Harbour-Lantern-3',
        roles: ['staff'],
        claims: { 'http://wso2.org/claims/emailaddress': 'jdoe@example.com' },
      },
      { authorization: admin },
    )
    assert.equal(user.status, 201, JSON.stringify(user.body))
    const seen = new Set<string>()

    const first = await step(one, { input: {} })
    assert.equal(first.body.type, 'userQuery')
    const second = await step(two, { token: first.body.token, input: { queryFilter: 'userName eq "jdoe"' } })
    assert.equal(second.status, 200, JSON.stringify(second.body))
    assert.equal(second.body.type, 'emailValidation')
    const code = await mailedCode(one, seen)

    const wrongOnOne = await step(one, { token: second.body.token, input: { code: 'AAAAAAAA' } })
    assert.equal(wrongOnOne.body.message, 'The code is not correct. 4 attempts left.')
    const wrongOnTwo = await step(two, { token: second.body.token, input: { code: 'AAAAAAAA' } })
    assert.equal(wrongOnTwo.body.message, 'The code is not correct. 3 attempts left.', 'one count for both')

    const third = await step(one, { token: second.body.token, input: { code } })
    assert.equal(third.status, 200, JSON.stringify(third.body))
    assert.equal(third.body.type, 'resetStage')
    const done = await step(two, { token: third.body.token, input: { password: 'Quiet-Orchard-Compass-8' } })
    assert.deepEqual(done.body, COMPLETED)
    for (const instance of [one, two]) {
      const replay = await step(instance, {
        token: third.body.token,
        input: { password: 'Amber-Glacier-Pivot-5' },
      })
      assert.equal(replay.status, 400)
      assert.equal(replay.body.detail.code, 'selfservice.invalid-token')
    }
    for (const instance of [one, two]) {
      const login = (password: string) =>
        request(`${instance.url}/api/auth/login`, 'POST', { username: 'jdoe', password })
      assert.equal((await login('Quiet-Orchard-Compass-8')).status, 200)
      assert.equal((await login('Seventh-Harbour-Lantern-3')).status, 401)
    }
  })
})
