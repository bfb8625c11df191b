import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  checkNewPassword,
  checkPassword,
  checkPasswordHistory,
  checkPatternSafety,
  checkPolicyDefinition,
  compilePolicyPattern,
  defaultPasswordPolicy,
  isCommonPassword,
  isPasswordExpired,
  type PasswordPolicy,
  type PreviousPasswordMatcher,
  passwordExpiresAt,
  passwordRules,
  policyViolation,
  preloadCommonPasswords,
  resolvePasswordPolicy,
} from '../../src/domain/password-policy/index.ts'

const policy = resolvePasswordPolicy()
const rulesOf = (password: string, userName = 'alice', overrides: Partial<PasswordPolicy> = {}) =>
  checkPassword(password, { userName, policy: resolvePasswordPolicy(overrides) }).map(
    (violation) => violation.rule,
  )

describe('password policy defaults', () => {
  it('fills missing fields and keeps only known ones', () => {
    assert.deepEqual(policy, {
      minLength: 8,
      maxLength: 256,
      pattern: null,
      patternDescription: null,
      forbidUserName: true,
      historyCount: 5,
      checkCommonPasswords: true,
      maxAgeDays: 0,
    })
    const stored = { minLength: 12, maxAgeDays: null, extra: 'ignored' } as unknown as Partial<PasswordPolicy>
    const resolved = resolvePasswordPolicy(stored)
    assert.equal(resolved.minLength, 12)
    assert.equal(resolved.maxAgeDays, 0)
    assert.equal('extra' in resolved, false)
  })

  it('is a valid definition', () => {
    assert.deepEqual(checkPolicyDefinition(defaultPasswordPolicy), [])
  })
})

describe('password length', () => {
  it('refuses passwords shorter than the minimum', () => {
    assert.deepEqual(rulesOf('Xq7#vLp'), ['min-length'])
    assert.deepEqual(rulesOf('Xq7#vLp2'), [])
  })

  it('refuses passwords longer than the maximum, and checks nothing else then', () => {
    assert.deepEqual(rulesOf('a'.repeat(257)), ['max-length'])
    assert.deepEqual(rulesOf(`alice${'x'.repeat(300)}`), ['max-length'])
    assert.deepEqual(rulesOf('Xq7#vLp2'.repeat(32)), [])
  })

  it('never checks more than 4096 characters, even for a stored policy that allows more', () => {
    assert.deepEqual(rulesOf('x'.repeat(4097), 'alice', { maxLength: 10_000 }), ['max-length'])
    assert.deepEqual(rulesOf('Xq7#vLp2'.repeat(512), 'alice', { maxLength: 10_000 }), [])
  })

  it('counts code points, so an emoji is one character', () => {
    assert.equal('😀'.length, 2)
    assert.deepEqual(rulesOf('😀'.repeat(7)), ['min-length'])
    assert.deepEqual(rulesOf('😀'.repeat(8)), [])
    assert.deepEqual(rulesOf('😀'.repeat(9), 'alice', { maxLength: 8 }), ['max-length'])
    assert.deepEqual(rulesOf('ü'.repeat(8), 'alice', { maxLength: 8 }), [])
  })

  it('states the bound in the message', () => {
    const [violation] = checkPassword('short', { userName: 'alice', policy })
    assert.deepEqual(violation, { rule: 'min-length', message: 'must be at least 8 characters' })
  })
})

describe('password pattern', () => {
  const digit = { pattern: '\\d', patternDescription: 'at least one digit' }

  it('refuses a password that does not match, naming the rule', () => {
    const violations = checkPassword('Xq#vLpTz', { userName: 'alice', policy: resolvePasswordPolicy(digit) })
    assert.deepEqual(violations, [{ rule: 'pattern', message: 'does not meet the rule: at least one digit' }])
    assert.deepEqual(rulesOf('Xq#vLpT9', 'alice', digit), [])
  })

  it('matches anywhere unless anchored, and in Unicode mode', () => {
    const upperFirst = { pattern: '^\\p{Lu}', patternDescription: 'an upper-case first letter' }
    assert.deepEqual(rulesOf('Étoile#42x', 'alice', upperFirst), [])
    assert.deepEqual(rulesOf('xÉtoile#42', 'alice', upperFirst), ['pattern'])
  })

  it('treats an empty pattern as none', () => {
    assert.deepEqual(rulesOf('Xq#vLpTz', 'alice', { pattern: '' }), [])
  })

  it('refuses every password while a stored pattern is unsafe, rather than skipping it', () => {
    assert.deepEqual(rulesOf('Xq#vLpTz', 'alice', { pattern: '(a+)+$', patternDescription: 'x' }), [
      'pattern-unusable',
    ])
  })
})

describe('user name in the password', () => {
  it('refuses the user name, in any case and inside other text', () => {
    assert.deepEqual(rulesOf('my-Alice-2024x'), ['user-name'])
    assert.deepEqual(rulesOf('myALICE#2024x', 'Alice'), ['user-name'])
  })

  it('refuses the reversed user name', () => {
    assert.deepEqual(rulesOf('x-ecila-2024', 'alice'), ['user-name'])
    assert.deepEqual(rulesOf('x-ECILA-2024', 'ALICE'), ['user-name'])
  })

  it('ignores the store domain of DOMAIN/name', () => {
    assert.deepEqual(rulesOf('xx-Bob-Partner-12', 'PARTNERS/bob'), ['user-name'])
    assert.deepEqual(rulesOf('Partners#4ever!', 'PARTNERS/bob'), [])
  })

  it('compares after Unicode normalisation, like user-name look-ups', () => {
    assert.deepEqual(rulesOf('ｘ-ＡＬＩＣＥ-９９', 'alice'), ['user-name'])
  })

  it('ignores user names shorter than three characters', () => {
    assert.deepEqual(rulesOf('Xq7#al-vLp', 'al'), [])
    assert.deepEqual(rulesOf('Xq7#jo-vLp', 'PARTNERS/jo'), [])
    assert.deepEqual(rulesOf('Xq7#joe-vLp', 'PARTNERS/joe'), ['user-name'])
  })

  it('can be turned off', () => {
    assert.deepEqual(rulesOf('my-alice-2024x', 'alice', { forbidUserName: false }), [])
  })
})

describe('common passwords', () => {
  it('ships at least 10,000 entries', () => {
    assert.ok(preloadCommonPasswords() >= 10_000)
  })

  it('refuses listed passwords case-insensitively', () => {
    for (const password of [
      'password',
      'PASSWORD',
      'PassWord',
      'iloveyou',
      'qwertyuiop',
      'michael',
      '12345678',
    ]) {
      assert.equal(isCommonPassword(password), true, password)
    }
    assert.deepEqual(rulesOf('Password'), ['common-password'])
  })

  it('refuses listed passwords with a short trailing decoration', () => {
    for (const password of [
      'Password123!',
      'Summer2024!',
      'dragon!!',
      'monkey1',
      'football 2024',
      'Qwerty#1',
    ]) {
      assert.equal(isCommonPassword(password), true, password)
    }
    assert.deepEqual(rulesOf('Password123!'), ['common-password'])
  })

  it('does not treat a long suffix as decoration', () => {
    assert.equal(isCommonPassword('dragon8302946175'), false)
  })

  it('accepts a long passphrase that contains common words', () => {
    assert.equal(isCommonPassword('purple dragon eats tulips'), false)
    assert.deepEqual(rulesOf('purple dragon eats tulips'), [])
    assert.deepEqual(rulesOf('monkey-sunshine-password-lighthouse'), [])
  })

  it('accepts unlisted passwords and can be turned off', () => {
    assert.equal(isCommonPassword('Xq7#vLp2'), false)
    assert.deepEqual(rulesOf('password', 'alice', { checkCommonPasswords: false }), [])
  })
})

describe('rule order', () => {
  it('reports every failed rule once, cheapest first', () => {
    const overrides = { pattern: '\\d', patternDescription: 'at least one digit' }
    assert.deepEqual(rulesOf('alice', 'alice', overrides), [
      'min-length',
      'pattern',
      'user-name',
      'common-password',
    ])
  })
})

describe('policy definition', () => {
  const problems = (overrides: Partial<PasswordPolicy>) =>
    checkPolicyDefinition(resolvePasswordPolicy(overrides)).map((problem) => problem.field)

  it('keeps numbers in their ranges', () => {
    assert.deepEqual(problems({ minLength: 1, maxLength: 4096, historyCount: 24, maxAgeDays: 3650 }), [])
    assert.deepEqual(problems({ historyCount: 0, maxAgeDays: 0 }), [])
    assert.deepEqual(problems({ minLength: 0 }), ['minLength'])
    assert.deepEqual(problems({ minLength: 257, maxLength: 300 }), ['minLength'])
    assert.deepEqual(problems({ maxLength: 4097 }), ['maxLength'])
    assert.deepEqual(problems({ historyCount: 25 }), ['historyCount'])
    assert.deepEqual(problems({ historyCount: -1 }), ['historyCount'])
    assert.deepEqual(problems({ historyCount: 1.5 }), ['historyCount'])
    assert.deepEqual(problems({ maxAgeDays: 3651 }), ['maxAgeDays'])
    assert.deepEqual(problems({ maxAgeDays: Number.NaN }), ['maxAgeDays'])
  })

  it('refuses a minimum above the maximum', () => {
    assert.deepEqual(problems({ minLength: 20, maxLength: 12 }), ['minLength'])
    assert.deepEqual(problems({ minLength: 12, maxLength: 12 }), [])
  })

  it('refuses flags that are not booleans', () => {
    const stored = { forbidUserName: 'yes' } as unknown as Partial<PasswordPolicy>
    assert.deepEqual(problems(stored), ['forbidUserName'])
  })

  it('accepts usual patterns with a description', () => {
    for (const pattern of [
      '\\d',
      '[A-Z]',
      '[!@#$%^&*()_+-=]',
      '^(?=.*\\d)(?=.*[a-z])(?=.*[A-Z]).{8,}$',
      '(?=.*\\d)(?=.*[a-z])(?=.*[A-Z])(?=.*[^\\w])',
      '^[\\x21-\\x7e]+$',
      '^(?=(?:.*\\d){2})',
      '\\p{Lu}',
    ]) {
      assert.deepEqual(problems({ pattern, patternDescription: 'a rule' }), [], pattern)
    }
  })

  it('requires a description with a pattern', () => {
    assert.deepEqual(problems({ pattern: '\\d' }), ['patternDescription'])
    assert.deepEqual(problems({ pattern: '\\d', patternDescription: '  ' }), ['patternDescription'])
    assert.deepEqual(problems({ pattern: '\\d', patternDescription: 'x'.repeat(201) }), [
      'patternDescription',
    ])
  })

  it('refuses a pattern that does not compile', () => {
    for (const pattern of ['(', '[a-', '\\', 'a{2,1}', '\\q']) {
      const found = checkPatternSafety(pattern)
      assert.equal(found.length, 1, pattern)
      assert.match(found[0] ?? '', /not a valid regular expression/)
    }
  })

  it('refuses patterns longer than 200 characters', () => {
    assert.deepEqual(checkPatternSafety('a'.repeat(201)), ['must be at most 200 characters'])
    assert.deepEqual(checkPatternSafety('a'.repeat(200)), [])
  })

  it('refuses repeated groups that can match in several ways', () => {
    for (const pattern of [
      '(a+)+',
      '(a+)+$',
      '(a*)*b',
      '(a|ab)*c',
      '(?:[a-z]|\\d)+',
      '(\\w+\\s?)+$',
      '((ab)*c)+',
    ]) {
      const found = checkPatternSafety(pattern)
      assert.ok(
        found.some((problem) => problem.startsWith('must not repeat a group')),
        `${pattern}: ${found.join('; ')}`,
      )
    }
    assert.deepEqual(checkPatternSafety('(?:ab)+'), [])
    assert.deepEqual(checkPatternSafety('(\\d{3})+'), [])
  })

  it('refuses backreferences and huge repetition counts', () => {
    assert.match(checkPatternSafety('(a)\\1').join(), /backreferences/)
    assert.match(checkPatternSafety('(?<x>a)\\k<x>').join(), /backreferences/)
    assert.match(checkPatternSafety('a{1,5000}').join(), /more than 4096 times/)
  })

  it('refuses patterns whose backtracking grows too fast with the length', () => {
    for (const pattern of ['.*.*x', 'a.*b.*c', '.*\\d.*', '^(.*?,){11}P', '(a|a)'.repeat(40)]) {
      assert.match(checkPatternSafety(pattern).join(), /too long on long passwords/, pattern)
    }
    assert.deepEqual(checkPatternSafety('^a.*b.*c'), [])
  })

  it('runs the accepted worst cases quickly on the longest password', () => {
    const length = 4096
    const inputs = ['a'.repeat(length), '1'.repeat(length), 'aA1!'.repeat(length / 4), ' '.repeat(length)]
    for (const pattern of [
      '(?=.*\\d)(?=.*[a-z])(?=.*[A-Z])(?=.*[^\\w])',
      '^.*.*x',
      '^\\d+\\d+x',
      '^a.*b.*c',
    ]) {
      const compiled = compilePolicyPattern(pattern)
      assert.ok(compiled, pattern)
      const started = performance.now()
      for (const input of inputs) compiled.test(input)
      assert.ok(performance.now() - started < 2000, pattern)
    }
  })
})

describe('password expiry', () => {
  const day = 24 * 60 * 60 * 1000
  const changedAt = Date.UTC(2025, 0, 1)

  it('never expires with maxAgeDays 0', () => {
    assert.equal(isPasswordExpired(changedAt, changedAt + 100_000 * day, { maxAgeDays: 0 }), false)
    assert.equal(passwordExpiresAt(changedAt, { maxAgeDays: 0 }), undefined)
  })

  it('expires exactly maxAgeDays after the change', () => {
    const policy = { maxAgeDays: 90 }
    assert.equal(passwordExpiresAt(changedAt, policy), changedAt + 90 * day)
    assert.equal(isPasswordExpired(changedAt, changedAt + 90 * day - 1, policy), false)
    assert.equal(isPasswordExpired(changedAt, changedAt + 90 * day, policy), true)
    assert.equal(isPasswordExpired(changedAt, changedAt + 91 * day, policy), true)
  })

  it('does not expire a change dated in the future', () => {
    assert.equal(isPasswordExpired(changedAt + day, changedAt, { maxAgeDays: 1 }), false)
  })
})

describe('password history', () => {
  /** Fake matchers over plain strings, recording which ones ran. */
  function history(previous: string[]) {
    const consulted: number[] = []
    const matchers: PreviousPasswordMatcher[] = previous.map((old, index) => async (password) => {
      consulted.push(index)
      return password === old
    })
    return { matchers, consulted }
  }

  it('refuses one of the last historyCount passwords', async () => {
    const { matchers } = history(['current', 'older', 'oldest'])
    const violations = await checkPasswordHistory(
      'older',
      matchers,
      resolvePasswordPolicy({ historyCount: 2 }),
    )
    assert.deepEqual(violations, [{ rule: 'history', message: 'must differ from the last 2 passwords' }])
  })

  it('consults only historyCount entries, newest first, and stops at the first match', async () => {
    const beyond = history(['current', 'older', 'oldest'])
    assert.deepEqual(
      await checkPasswordHistory('oldest', beyond.matchers, resolvePasswordPolicy({ historyCount: 2 })),
      [],
    )
    assert.deepEqual(beyond.consulted, [0, 1])

    const early = history(['current', 'older', 'oldest'])
    await checkPasswordHistory('current', early.matchers, policy)
    assert.deepEqual(early.consulted, [0])
  })

  it('consults nothing with historyCount 0', async () => {
    const { matchers, consulted } = history(['current'])
    assert.deepEqual(
      await checkPasswordHistory('current', matchers, resolvePasswordPolicy({ historyCount: 0 })),
      [],
    )
    assert.deepEqual(consulted, [])
  })

  it('runs the matchers one at a time', async () => {
    let running = 0
    let most = 0
    const slow: PreviousPasswordMatcher = async () => {
      running++
      most = Math.max(most, running)
      await new Promise((resolve) => setImmediate(resolve))
      running--
      return false
    }
    await checkPasswordHistory('new', [slow, slow, slow], policy)
    assert.equal(most, 1)
  })

  it('fails when a matcher fails', async () => {
    const broken: PreviousPasswordMatcher = async () => {
      throw new Error('hash unreadable')
    }
    await assert.rejects(checkPasswordHistory('new', [broken], policy), /hash unreadable/)
  })

  it('words a history of one as the current password', () => {
    assert.equal(
      policyViolation(passwordRules.history, resolvePasswordPolicy({ historyCount: 1 })).message,
      'must differ from the current password',
    )
  })

  it('skips the history when a cheaper rule already failed', async () => {
    const { matchers, consulted } = history(['password'])
    const violations = await checkNewPassword('password', { userName: 'alice', policy }, matchers)
    assert.deepEqual(
      violations.map((violation) => violation.rule),
      ['common-password'],
    )
    assert.deepEqual(consulted, [])
    const reused = await checkNewPassword(
      'Xq7#vLp2',
      { userName: 'alice', policy },
      history(['Xq7#vLp2']).matchers,
    )
    assert.deepEqual(
      reused.map((violation) => violation.rule),
      ['history'],
    )
  })
})

describe('violation messages', () => {
  const policies = fc.record({
    minLength: fc.integer({ min: 1, max: 16 }),
    maxLength: fc.integer({ min: 16, max: 64 }),
    pattern: fc.constantFrom(null, '\\d', '^(?=.*[A-Z])', '(a+)+'),
    patternDescription: fc.constantFrom(null, 'at least one digit'),
    forbidUserName: fc.boolean(),
    historyCount: fc.integer({ min: 0, max: 24 }),
    checkCommonPasswords: fc.boolean(),
    maxAgeDays: fc.constant(0),
  })
  const catalogue = (policy: PasswordPolicy) =>
    Object.values(passwordRules).map((rule) => policyViolation(rule, policy).message)

  it('are built from the policy alone', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.string(),
        policies,
        (password, userName, p) => {
          const known = catalogue(p)
          for (const violation of checkPassword(password, { userName, policy: p })) {
            assert.ok(known.includes(violation.message), violation.message)
          }
        },
      ),
    )
  })

  it('never contain the password', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 80 }),
          fc.constantFrom('password', 'alice', 'Password123!'),
        ),
        fc.constantFrom('alice', 'PARTNERS/alice', 'al'),
        policies,
        (password, userName, p) => {
          fc.pre(!catalogue(p).some((message) => message.includes(password)))
          for (const violation of checkPassword(password, { userName, policy: p })) {
            assert.equal(violation.message.includes(password), false)
          }
        },
      ),
    )
  })
})
