// Users of the `selfservice` scenario: created with an email address and security answers
// through the admin and account APIs, and handed out one flow at a time.
const EMAIL_CLAIM = 'http://wso2.org/claims/emailaddress'

export interface BenchUser {
  name: string
  email: string
  /** Completed resets: each one left the replaced password in the history. */
  resets: number
}

/**
 * Each flow takes a user no other flow has used while fresh ones last; after that the user
 * whose flow ended longest ago (its history then holds one more password to check, which
 * `argon2OpsOf` counts).
 */
export class UserPool {
  private next = 0
  private readonly done: BenchUser[] = []
  reused = 0

  constructor(private readonly users: readonly BenchUser[]) {}

  take(): BenchUser {
    const fresh = this.users[this.next]
    if (fresh) {
      this.next++
      return fresh
    }
    const user = this.done.shift()
    if (!user) throw new Error('every user is in a flow: create more users than clients')
    this.reused++
    return user
  }

  release(user: BenchUser): void {
    this.done.push(user)
  }
}

/** Admin and user calls of the set-up, through fetch (not measured). */
async function call(url: string, init: RequestInit & { json?: unknown }, expect: number): Promise<unknown> {
  const { json, ...rest } = init
  const response = await fetch(url, {
    ...rest,
    headers: { ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...rest.headers },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  })
  const text = await response.text()
  if (response.status !== expect)
    throw new Error(`${init.method} ${url}: ${response.status} ${text.slice(0, 300)}`)
  return text ? JSON.parse(text) : undefined
}

/**
 * Creates `count` users `${prefix}N` with an email address and `passwordHash` as their
 * password (an argon2id hash of `password` with the server's parameters, so creating costs no
 * hash), and gives each answers to `answersRequired` questions: a sign-in and a save of the
 * answers with the password (verified once more), which the server hashes. `lanes` users at a time. Returns the users and the answers
 * by the questions' English text (every user answers alike).
 */
export async function createUsers(options: {
  url: string
  adminPassword: string
  prefix: string
  count: number
  password: string
  passwordHash: string
  lanes: number
}): Promise<{ users: BenchUser[]; answers: Map<string, string> }> {
  const { url } = options
  const admin = { authorization: `Basic ${Buffer.from(`admin:${options.adminPassword}`).toString('base64')}` }
  await call(
    `${url}/api/admin/roles`,
    { method: 'POST', headers: admin, json: { name: 'bench', permissions: ['login'] } },
    201,
  )
  const users = Array.from({ length: options.count }, (_, index): BenchUser => {
    const name = `${options.prefix}${index}`
    return { name, email: `${name}@example.com`, resets: 0 }
  })
  let answers: Map<string, string> | undefined
  let chosen: Array<{ questionId: string; answer: string }> | undefined
  const setUp = async (user: BenchUser) => {
    await call(
      `${url}/api/admin/users`,
      {
        method: 'POST',
        headers: admin,
        json: {
          username: user.name,
          passwordHash: options.passwordHash,
          claims: { [EMAIL_CLAIM]: user.email },
          roles: ['bench'],
        },
      },
      201,
    )
    const session = (await call(
      `${url}/api/auth/login`,
      { method: 'POST', json: { username: user.name, password: options.password } },
      200,
    )) as { token: string }
    const auth = { authorization: `Bearer ${session.token}`, 'accept-language': 'en' }
    if (!chosen) {
      const view = (await call(
        `${url}/api/auth/account/security-questions`,
        { method: 'GET', headers: auth },
        200,
      )) as {
        questions: Array<{ id: string; text: string }>
        answersRequired: number
      }
      const picked = view.questions.slice(0, view.answersRequired)
      chosen = picked.map((question) => ({ questionId: question.id, answer: `bench answer ${question.id}` }))
      answers = new Map(picked.map((question, index) => [question.text, chosen![index]!.answer]))
    }
    await call(
      `${url}/api/auth/account/security-answers`,
      { method: 'PUT', headers: auth, json: { currentPassword: options.password, answers: chosen } },
      204,
    )
  }
  // The first user alone: it fetches the questions every user answers.
  await setUp(users[0]!)
  let next = 1
  const lane = async () => {
    while (next < users.length) await setUp(users[next++]!)
  }
  await Promise.all(Array.from({ length: options.lanes }, lane))
  return { users, answers: answers! }
}
