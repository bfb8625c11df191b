// The client side of the `selfservice` scenario: the codes the sink reads out of the mail, one
// complete self-service reset over HTTP, and closed-loop rounds of them.
import { randomBytes } from 'node:crypto'
import type { CountingSink } from './counting-sink.ts'
import { HttpRequestConnection } from './http-request.ts'
import { closedLoop, type LoadResult, type RoundTiming } from './load.ts'
import type { BenchUser, UserPool } from './selfservice-users.ts'

export const RESET_PATH = '/api/selfservice/reset?_action=submitRequirements'

/** The stages of a flow, in order, with the wait for the mail between the first two. */
export const FLOW_PARTS = [
  'userQuery',
  'mail',
  'emailValidation',
  'kbaSecurityAnswerVerificationStage',
  'resetStage',
] as const
export type FlowPart = (typeof FLOW_PARTS)[number]

export interface FlowTimes {
  /** Each stage's request (and the mail wait), ms. */
  parts: Record<FlowPart, number>
  /** argon2 operations the server spent on this flow (see `argon2OpsOf`). */
  argon2Ops: number
}

/**
 * The argon2 work of one flow: one verification per security answer asked (they run at once),
 * the history check of the new password (one verification per remembered password, the current
 * one first, at most `historyCount`, one after the other, all of them since the password is
 * new), then one hash of the new password.
 */
export function argon2OpsOf(questionsAsked: number, historyCount: number, resets: number): number {
  return questionsAsked + historyVerifications(historyCount, resets) + 1
}

export function historyVerifications(historyCount: number, resets: number): number {
  return Math.min(historyCount, 1 + resets)
}

export interface MailedCode {
  code: string
  /** When the sink's report reached this process (performance.now()). */
  at: number
}

/**
 * Codes the sink reads out of the mail, handed to the flow waiting for its recipient. A code
 * nobody waits for (a flow that failed before it) is dropped: it must not answer a later flow.
 */
export class MailedCodes {
  private readonly waiting = new Map<string, (arrival: MailedCode) => void>()

  constructor(sink: CountingSink) {
    sink.onCode((recipients, code) => {
      const arrival = { code, at: performance.now() }
      for (const recipient of recipients) {
        const waiter = this.waiting.get(recipient)
        this.waiting.delete(recipient)
        waiter?.(arrival)
      }
    })
  }

  /** The next code mailed to `recipient`; wait before the request that sends it. */
  expect(recipient: string, timeoutMs: number): { arrival: Promise<MailedCode>; cancel(): void } {
    let timer: NodeJS.Timeout | undefined
    const arrival = new Promise<MailedCode>((resolve, reject) => {
      timer = setTimeout(() => {
        this.waiting.delete(recipient)
        reject(new Error(`no code mailed to ${recipient} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting.set(recipient, (value) => {
        clearTimeout(timer)
        resolve(value)
      })
    })
    // A flow that fails before it waits must not leave an unhandled rejection behind.
    arrival.catch(() => {})
    return {
      arrival,
      cancel: () => {
        clearTimeout(timer)
        this.waiting.delete(recipient)
      },
    }
  }
}

/** A new password the shipped policy accepts, different every time (the history is checked). */
export function newPassword(): string {
  return `Rk-${randomBytes(12).toString('base64url')}-9`
}

interface StageAnswer {
  type?: string
  tag?: string
  token?: string
  status?: { success?: boolean }
  requirements?: { properties?: Record<string, { systemQuestion?: Record<string, string> }> }
}

async function submit(
  connection: HttpRequestConnection,
  input: Record<string, string>,
  token: string | undefined,
  expectType: string,
): Promise<StageAnswer> {
  const body = JSON.stringify(token === undefined ? { input } : { input, token })
  const answer = await connection.request('POST', RESET_PATH, body)
  const text = answer.body.toString('utf8')
  if (answer.status !== 200) throw new Error(`${expectType}: ${answer.status} ${text.slice(0, 300)}`)
  const parsed = JSON.parse(text) as StageAnswer
  if (parsed.type !== expectType) throw new Error(`expected ${expectType}, got ${text.slice(0, 300)}`)
  return parsed
}

/**
 * One complete reset of `user` on `connection`: the query, the code from the mail, the
 * answers to the questions asked (`answers` by the question's English text), a new password.
 * Throws on any answer but the expected one.
 */
export async function resetFlow(options: {
  connection: HttpRequestConnection
  user: BenchUser
  codes: MailedCodes
  answers: ReadonlyMap<string, string>
  historyCount: number
  mailTimeoutMs: number
}): Promise<FlowTimes> {
  const { connection, user } = options
  const mail = options.codes.expect(user.email, options.mailTimeoutMs)
  try {
    const started = performance.now()
    const query = await submit(
      connection,
      { queryFilter: `userName eq "${user.name}"` },
      undefined,
      'emailValidation',
    )
    const queried = performance.now()
    const { code, at } = await mail.arrival
    const mailed = performance.now()
    const validated = await submit(connection, { code }, query.token, 'kbaSecurityAnswerVerificationStage')
    const codeChecked = performance.now()
    const input: Record<string, string> = {}
    for (const [name, property] of Object.entries(validated.requirements?.properties ?? {})) {
      const answer = options.answers.get(property.systemQuestion?.en ?? '')
      if (answer === undefined) throw new Error(`asked a question the user did not answer: ${name}`)
      input[name] = answer
    }
    const answered = await submit(connection, input, validated.token, 'resetStage')
    const answersChecked = performance.now()
    const reset = await submit(connection, { password: newPassword() }, answered.token, 'resetStage')
    const ended = performance.now()
    if (reset.tag !== 'end' || reset.status?.success !== true)
      throw new Error(`the reset did not end: ${JSON.stringify(reset).slice(0, 300)}`)
    const argon2Ops = argon2OpsOf(Object.keys(input).length, options.historyCount, user.resets)
    user.resets++
    return {
      parts: {
        userQuery: queried - started,
        // The code may be read before the answer to the query is: no wait then.
        mail: Math.max(0, at - queried),
        emailValidation: codeChecked - mailed,
        kbaSecurityAnswerVerificationStage: answersChecked - codeChecked,
        resetStage: ended - answersChecked,
      },
      argon2Ops,
    }
  } finally {
    mail.cancel()
  }
}

export interface FlowRound extends LoadResult {
  /** Each part's latencies (ms), in the flows that ended inside the window. */
  parts: Record<FlowPart, number[]>
  /** argon2 operations of the flows that ended inside the window. */
  argon2Ops: number
  /** What went wrong first, when anything did. */
  firstError: string | undefined
}

/**
 * A closed-loop round of complete resets, one keep-alive connection per client, each flow with
 * a user of its own. A flow counts (as `closedLoop` counts operations) when it ends inside the
 * window; so do its parts.
 */
export async function flowRound(options: {
  url: string
  concurrency: number
  timing: RoundTiming
  pool: UserPool
  codes: MailedCodes
  answers: ReadonlyMap<string, string>
  historyCount: number
  mailTimeoutMs: number
}): Promise<FlowRound> {
  const target = new URL(options.url)
  const open = () => HttpRequestConnection.open(target.hostname, Number(target.port), {}, 'application/json')
  const connections = await Promise.all(Array.from({ length: options.concurrency }, open))
  const windowStart = performance.now() + options.timing.rampSeconds * 1000
  const windowEnd = windowStart + options.timing.seconds * 1000
  const parts = Object.fromEntries(FLOW_PARTS.map((part) => [part, [] as number[]])) as Record<
    FlowPart,
    number[]
  >
  let argon2Ops = 0
  let firstError: string | undefined
  try {
    const result = await closedLoop(options.concurrency, options.timing, async (client) => {
      const user = options.pool.take()
      try {
        const times = await resetFlow({ ...options, connection: connections[client]!, user })
        const ended = performance.now()
        if (ended >= windowStart && ended < windowEnd) {
          for (const part of FLOW_PARTS) parts[part].push(times.parts[part])
          argon2Ops += times.argon2Ops
        }
        return true
      } catch (error) {
        firstError ??= error instanceof Error ? error.message : String(error)
        connections[client]!.close()
        connections[client] = await open()
        return false
      } finally {
        options.pool.release(user)
      }
    })
    return { ...result, parts, argon2Ops, firstError }
  } finally {
    for (const connection of connections) connection.close()
  }
}
