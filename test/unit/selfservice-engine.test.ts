import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { checkSelfServiceSettings } from '../../src/admin/policies/selfservice-settings.ts'
import { AppError } from '../../src/errors/app-error.ts'
import { decoyUserId } from '../../src/flows/selfservice/account.ts'
import { codeHash, codeMatches, newCode } from '../../src/flows/selfservice/emailed-code.ts'
import { type FlowState, FlowTokens } from '../../src/flows/selfservice/flow-token.ts'
import { chooseQuestions } from '../../src/flows/selfservice/question-choice.ts'
import { requirementsOf, tagOf } from '../../src/flows/selfservice/requirements.ts'
import { pipelineProblems, queryableProblems } from '../../src/flows/selfservice/stages.ts'
import { tokenKeyProblems, tokenKeysOf } from '../../src/flows/selfservice/token-keys.ts'
import { canonicalQuery } from '../../src/flows/selfservice/user-query.ts'
import { parseFilter } from '../../src/scim/filter/parser.ts'
import { isUuid } from '../../src/security/tokens.ts'

const secret = randomBytes(32)
const state: FlowState = { fid: 'f-1', tid: 't-1', stage: 1, name: 'emailValidation', exp: 1_000 }
const keyEntry = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`

describe('self-service stage pipelines', () => {
  it('accept the reference pipelines, with and without parameters, and the empty one (off)', () => {
    for (const stages of [
      [],
      ['userQuery', 'emailValidation', 'resetStage'],
      ['userQuery', 'kbaSecurityAnswerVerificationStage', 'resetStage'],
      ['parameters', 'userQuery', 'emailValidation', 'kbaSecurityAnswerVerificationStage', 'resetStage'],
      ['userQuery', 'kbaSecurityAnswerVerificationStage', 'emailValidation', 'resetStage'],
    ])
      assert.deepEqual(pipelineProblems(stages), [], stages.join(','))
  })

  it('refuse a reset without a verification stage, a misplaced or repeated stage, an unknown one', () => {
    const cases: Array<[string[], RegExp]> = [
      [['userQuery', 'resetStage'], /verification stage/],
      [['userQuery', 'emailValidation'], /resetStage must be the last/],
      [['emailValidation', 'userQuery', 'resetStage'], /userQuery must come before/],
      [['kbaSecurityAnswerVerificationStage', 'resetStage'], /userQuery is needed/],
      [['userQuery', 'emailValidation', 'emailValidation', 'resetStage'], /more than once/],
      [['userQuery', 'captcha', 'emailValidation', 'resetStage'], /unknown stage captcha/],
    ]
    for (const [stages, reason] of cases)
      assert.ok(
        pipelineProblems(stages).some((problem) => reason.test(problem)),
        `${stages.join(',')}: ${pipelineProblems(stages).join('; ')}`,
      )
  })

  it('name each refused field of a tenant setting', () => {
    assert.throws(
      () =>
        checkSelfServiceSettings({ stages: ['userQuery', 'resetStage'], queryableAttributes: ['password'] }),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === 'selfservice.invalid-stages' &&
        error.details.errors?.map((entry) => entry.pointer).join() === '/stages,/queryableAttributes',
    )
    assert.deepEqual(queryableProblems(['userName', 'emails']), [])
    assert.match(queryableProblems([])[0]!, /at least one/)
  })
})

describe('self-service requirements', () => {
  it('are the draft-04 objects of the reference answers', () => {
    assert.deepEqual(requirementsOf('userQuery'), {
      $schema: 'http://json-schema.org/draft-04/schema#',
      description: 'Find your account',
      type: 'object',
      required: ['queryFilter'],
      properties: { queryFilter: { description: 'filter string to find account', type: 'string' } },
    })
    assert.deepEqual(
      requirementsOf('kbaSecurityAnswerVerificationStage', [{ text: { en: 'Colour?' } }]).properties,
      {
        answer1: { systemQuestion: { en: 'Colour?' }, type: 'string' },
      },
    )
    assert.equal(tagOf('emailValidation'), 'validateCode')
    assert.equal(tagOf('resetStage'), 'initial')
  })
})

describe('self-service flow tokens', () => {
  it('round-trip the state, encrypted: nothing of it is readable in the token', async () => {
    const tokens = new FlowTokens(tokenKeysOf('', secret))
    const token = await tokens.seal({ ...state, uid: 'user-123', code: 'abcdef' })
    assert.deepEqual(await tokens.open(token), { ...state, uid: 'user-123', code: 'abcdef' })
    const readable = token
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('latin1'))
      .join()
    assert.ok(!readable.includes('user-123') && !readable.includes('f-1'))
  })

  it('are refused when tampered, truncated, or sealed with a key this server does not hold', async () => {
    const tokens = new FlowTokens(tokenKeysOf('', secret))
    const token = await tokens.seal(state)
    const parts = token.split('.')
    const flipped = Buffer.from(parts[3]!, 'base64url')
    flipped[0] = flipped[0]! ^ 1
    parts[3] = flipped.toString('base64url')
    assert.equal(await tokens.open(parts.join('.')), undefined)
    assert.equal(await tokens.open(token.slice(0, -4)), undefined)
    assert.equal(await tokens.open('not a token'), undefined)
    assert.equal(await tokens.open('x'.repeat(10_000)), undefined)
    const other = new FlowTokens(tokenKeysOf('', randomBytes(32)))
    assert.equal(await other.open(token), undefined)
  })

  it('rotate: the first key seals, every listed key opens', async () => {
    const old = keyEntry('old')
    const issuedBefore = await new FlowTokens(tokenKeysOf(old, secret)).seal(state)
    const rotated = new FlowTokens(tokenKeysOf(`${keyEntry('new')},${old}`, secret))
    assert.deepEqual(await rotated.open(issuedBefore), state)
    const issuedAfter = await rotated.seal(state)
    assert.equal(JSON.parse(Buffer.from(issuedAfter.split('.')[0]!, 'base64url').toString()).kid, 'new')
  })

  it('derive the same key on every instance from the same secret', async () => {
    const token = await new FlowTokens(tokenKeysOf('', secret)).seal(state)
    assert.deepEqual(await new FlowTokens(tokenKeysOf('', Buffer.from(secret))).open(token), state)
  })

  it('key settings are checked: kid, 32 bytes, no kid twice', () => {
    assert.deepEqual(tokenKeyProblems(''), [])
    assert.deepEqual(tokenKeyProblems(keyEntry('k1')), [])
    assert.match(tokenKeyProblems(`k1:${randomBytes(16).toString('base64')}`)[0]!, /exactly 32/)
    assert.match(tokenKeyProblems(`bad kid:${randomBytes(32).toString('base64')}`)[0]!, /kid/)
    assert.match(tokenKeyProblems(`${keyEntry('k1')},${keyEntry('k1')}`).join(), /once/)
  })
})

describe('self-service codes and stand-in accounts', () => {
  it('codes match case- and space-insensitively, only in their own flow', () => {
    const code = newCode(8)
    assert.match(code, /^[A-Z2-9]{8}$/)
    const hash = codeHash(secret, 'flow-a', code)
    assert.ok(codeMatches(secret, 'flow-a', ` ${code.slice(0, 4).toLowerCase()} ${code.slice(4)} `, hash))
    assert.ok(!codeMatches(secret, 'flow-b', code, hash))
    assert.ok(!codeMatches(secret, 'flow-a', 'AAAAAAAA', hash))
  })

  it('a stand-in id looks like a user id and is the same for the same values however the filter is written', () => {
    const canonical = (text: string) => canonicalQuery(parseFilter(text))
    const id = decoyUserId(secret, 't', canonical('userName eq "nobody"'))
    assert.ok(isUuid(id))
    for (const text of [
      '(userName eq "Nobody")',
      'userName eq "nobody" or userName eq "NOBODY"',
      'emails eq "nobody"',
      'USERNAME eq "\uff4e\uff4f\uff42\uff4f\uff44\uff59"',
    ])
      assert.equal(decoyUserId(secret, 't', canonical(text)), id, text)
    assert.notEqual(decoyUserId(secret, 't', canonical('userName eq "somebody"')), id)
    assert.notEqual(decoyUserId(secret, 'other-tenant', canonical('userName eq "nobody"')), id)
  })

  it('questions: a real user is asked among its answers; a stand-in among a fixed set of the same size', () => {
    const available = ['a', 'b', 'c', 'd', 'e', 'f']
    const options = { available, asked: 1, answersRequired: 2, secretKey: secret, accountId: 'decoy' }
    for (let i = 0; i < 20; i++)
      assert.ok(['c', 'e'].includes(chooseQuestions({ ...options, answered: ['c', 'e'] })[0]!))
    const seen = new Set<string>()
    for (let i = 0; i < 60; i++) seen.add(chooseQuestions({ ...options, answered: [] })[0]!)
    assert.equal(
      seen.size,
      2,
      'a stand-in shows two questions over many flows, as a user with two answers does',
    )
  })
})
