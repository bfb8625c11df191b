import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { Container } from '../../src/container.ts'
import { cliActor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import type { Harness } from './harness.ts'
import { type Answer, call } from './http.ts'

/** The staged API as existing clients call it, and Rekey's own path. */
export const OPENIDM_RESET = '/openidm/selfservice/reset?_action=submitRequirements'
export const API_RESET = '/api/selfservice/reset?_action=submitRequirements'

/** The headers every request of the reference's curl examples carries. */
export const CURL_HEADERS = {
  'content-type': 'application/json',
  'x-openidm-username': 'anonymous',
  'x-openidm-password': 'anonymous',
} as const

const DRAFT_04 = 'http://json-schema.org/draft-04/schema#'

/** Requirements exactly as the reference prints them. */
export const USER_QUERY_REQUIREMENTS = {
  $schema: DRAFT_04,
  description: 'Find your account',
  type: 'object',
  required: ['queryFilter'],
  properties: { queryFilter: { description: 'filter string to find account', type: 'string' } },
}

export const EMAIL_VALIDATION_REQUIREMENTS = {
  $schema: DRAFT_04,
  description: 'Verify emailed code',
  type: 'object',
  required: ['code'],
  properties: { code: { description: 'Enter code emailed', type: 'string' } },
}

export const RESET_STAGE_REQUIREMENTS = {
  $schema: DRAFT_04,
  description: 'Reset password',
  type: 'object',
  required: ['password'],
  properties: { password: { description: 'Password', type: 'string' } },
}

export const COMPLETED = { type: 'resetStage', tag: 'end', status: { success: true }, additions: {} }

export interface SubmitOptions {
  /** The tenant's path prefix (`/t/{domain}`), or none for the default tenant. */
  prefix?: string
  url?: string
  headers?: Record<string, string>
  remoteAddress?: string
}

/** One `submitRequirements` request as the reference's curl sends it. */
export function submit(
  app: FastifyInstance,
  body: { input?: unknown; token?: unknown } | string,
  options: SubmitOptions = {},
): Promise<Answer> {
  return call(app, {
    method: 'POST',
    url: `${options.prefix ?? ''}${options.url ?? OPENIDM_RESET}`,
    headers: { ...CURL_HEADERS, ...(options.headers ?? {}) },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  })
}

/** Asserts a 200 answer asking for the given stage, and returns its token. */
export function expectStage(answer: Answer, type: string): string {
  assert.equal(answer.status, 200, `expected ${type}, got ${answer.status}: ${JSON.stringify(answer.body)}`)
  assert.equal(answer.body.type, type, JSON.stringify(answer.body))
  assert.equal(typeof answer.body.token, 'string')
  return answer.body.token
}

/** Asserts the staged API's error shape, exactly: `{code, reason, message, detail: {code}}`. */
export function expectError(answer: Answer, status: number, code: string): void {
  assert.equal(
    answer.status,
    status,
    `expected ${status} ${code}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
  )
  assert.match(String(answer.headers['content-type']), /^application\/json/)
  assert.deepEqual(Object.keys(answer.body).sort(), ['code', 'detail', 'message', 'reason'])
  assert.equal(answer.body.code, status)
  assert.equal(typeof answer.body.reason, 'string')
  assert.ok(answer.body.reason.length > 0)
  assert.equal(typeof answer.body.message, 'string')
  assert.ok(answer.body.message.length > 0)
  assert.deepEqual(answer.body.detail, { code })
}

/**
 * The code mailed for a flow, found by the token of the answer that asked for it: the mail's
 * link carries that token, so the right message is found however many the recipient has
 * (a test clock gives them all the same time). Mail is queued after the answer is sent.
 */
export async function mailedCode(
  container: Container,
  tenant: TenantRow,
  recipient: string,
  token: string,
): Promise<string> {
  await container.selfService.idle()
  await container.outboxWorker.drain()
  const messages = await container.outbox.mailbox(tenant, { limit: 100, recipient })
  for (const message of messages) {
    if (message.type !== 'SelfServiceResetCode') continue
    const { text } = await container.outbox.readMailbox(tenant, message.id, cliActor)
    if (!text.includes(`token=${encodeURIComponent(token)}&`)) continue
    const code = /^ {4}([A-Z2-9]{8})$/m.exec(text)?.[1]
    assert.ok(code, `a code on its own line in: ${text}`)
    return code
  }
  assert.fail(`no code mailed to ${recipient} for this flow (${messages.length} messages)`)
}

/** Messages queued so far, of one type, in one tenant (after the flow's mail work is done). */
export async function queuedMail(
  container: Container,
  tenant: TenantRow,
  type: 'SelfServiceResetCode' | 'PasswordResetSuccess',
): Promise<Array<{ recipient: string; user_id: string | null }>> {
  await container.selfService.idle()
  return container.store.db
    .selectFrom('outbox_messages')
    .select(['recipient', 'user_id'])
    .where('tenant_id', '=', tenant.id)
    .where('type', '=', type)
    .orderBy('created_at')
    .execute()
}

export async function setPipeline(
  h: Harness,
  tenant: TenantRow,
  stages: string[],
  queryableAttributes?: string[],
): Promise<void> {
  await h.container.tenantPolicies.updateSelfServicePolicy(
    tenant,
    { stages, ...(queryableAttributes ? { queryableAttributes } : {}) },
    cliActor,
  )
}

/** Answers keyed by question id; the KBA stage shows texts, so each is found by its English text. */
export async function answersFor(
  container: Container,
  tenant: TenantRow,
  requirements: {
    required: string[]
    properties: Record<string, { systemQuestion: Record<string, string> }>
  },
  byQuestionId: Record<string, string>,
): Promise<Record<string, string>> {
  const questions = await container.securityQuestions.questions(tenant)
  return Object.fromEntries(
    requirements.required.map((name) => {
      const text = requirements.properties[name]!.systemQuestion.en
      const question = questions.find((candidate) => candidate.text.en === text)
      assert.ok(question, `a question of the tenant reads ${text}`)
      const answer = byQuestionId[question.id]
      assert.ok(answer !== undefined, `an answer to ${question.id}`)
      return [name, answer]
    }),
  )
}

export interface FlowAccount {
  filter: string
  email: string
  answers: Record<string, string>
  password: string
}

/**
 * Walks a flow to its end whatever the pipeline, answering each stage as it comes: the
 * filter, the mailed code, the security answers, the new password. The answers, in order.
 */
export async function walkFlow(
  h: Harness,
  tenant: TenantRow,
  account: FlowAccount,
  options: SubmitOptions & { first?: { input: Record<string, unknown> } } = {},
): Promise<Answer[]> {
  const answers: Answer[] = []
  let answer = await submit(h.app, options.first ?? { input: {} }, options)
  answers.push(answer)
  for (let step = 0; step < 10 && answer.body.tag !== 'end'; step++) {
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    const { type, token, requirements } = answer.body
    let input: Record<string, unknown>
    switch (type) {
      case 'parameters':
        input = { returnParams: 'goto=/welcome' }
        break
      case 'userQuery':
        input = { queryFilter: account.filter }
        break
      case 'emailValidation':
        input = { code: await mailedCode(h.container, tenant, account.email, token) }
        break
      case 'kbaSecurityAnswerVerificationStage':
        input = await answersFor(h.container, tenant, requirements, account.answers)
        break
      case 'resetStage':
        input = { password: account.password }
        break
      default:
        assert.fail(`unexpected stage ${type}`)
    }
    answer = await submit(h.app, { token, input }, options)
    answers.push(answer)
  }
  assert.equal(answer.status, 200, JSON.stringify(answer.body))
  assert.equal(answer.body.tag, 'end')
  return answers
}

/** A sign-in through the JSON API: its status (200 with a session token, or 401). */
export function signIn(
  app: FastifyInstance,
  username: string,
  password: string,
  prefix = '',
): Promise<Answer> {
  return call(app, { method: 'POST', url: `${prefix}/api/auth/login`, payload: { username, password } })
}

/** The median of some durations, in ms. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
