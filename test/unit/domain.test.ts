import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultLoginChecks, type LoginSubject, runLoginChecks } from '../../src/domain/login-checks.ts'
import { checkPassword, defaultPasswordPolicy } from '../../src/domain/password-policy/index.ts'
import { administratorPermissions } from '../../src/domain/permissions.ts'
import { isValidTenantDomain } from '../../src/domain/tenant.ts'
import { displayUserName, parseUserName, userNameKey } from '../../src/domain/user-name.ts'
import { generatePassword } from '../../src/security/tokens.ts'

describe('user names', () => {
  it('splits DOMAIN/name and treats PRIMARY as optional', () => {
    assert.deepEqual(parseUserName('alice'), { storeDomain: 'PRIMARY', name: 'alice' })
    assert.deepEqual(parseUserName('PRIMARY/alice'), { storeDomain: 'PRIMARY', name: 'alice' })
    assert.deepEqual(parseUserName('partners/bob'), { storeDomain: 'PARTNERS', name: 'bob' })
    assert.equal(displayUserName('PRIMARY', 'alice'), 'alice')
    assert.equal(displayUserName('PARTNERS', 'bob'), 'PARTNERS/bob')
  })

  it('rejects names that could confuse look-ups', () => {
    for (const bad of ['', ' ', 'a/b/c', '/alice', 'PRIMARY/', 'bad\u0000name', 'x'.repeat(300)]) {
      assert.equal(parseUserName(bad), undefined, JSON.stringify(bad))
    }
  })

  it('compares case-insensitively and after Unicode normalisation', () => {
    assert.equal(userNameKey('Alice'), userNameKey('ALICE'))
    assert.equal(userNameKey('ﬁona'), userNameKey('fiona'))
  })
})

describe('tenant domains', () => {
  it('accepts DNS-style names only', () => {
    assert.ok(isValidTenantDomain('example.com'))
    assert.ok(isValidTenantDomain('carbon.super'))
    for (const bad of ['', 'Example.com', '../etc', 'a b', '-x.com', 'x..y'])
      assert.equal(isValidTenantDomain(bad), false, bad)
  })
})

describe('login checks', () => {
  const subject: LoginSubject = {
    tenantStatus: 'active',
    userStatus: 'active',
    lockReason: null,
    resetPending: false,
    permissions: new Set(['login']),
    passwordChangedAt: 0,
    now: 1,
  }

  it('allows an active user with the login permission', () => {
    assert.equal(runLoginChecks(defaultLoginChecks, subject).kind, 'allow')
  })

  it('answers a locked account like a wrong password, recording the reason', () => {
    const decision = runLoginChecks(defaultLoginChecks, {
      ...subject,
      userStatus: 'locked',
      lockReason: 'admin',
    })
    assert.deepEqual(decision, {
      kind: 'deny',
      code: 'auth.failed',
      reason: 'account-locked:admin',
      check: 'accountLocked',
    })
  })

  it('refuses the password of an account with a pending reset whatever its status', () => {
    const decision = runLoginChecks(defaultLoginChecks, { ...subject, resetPending: true })
    assert.deepEqual(decision, {
      kind: 'deny',
      code: 'auth.failed',
      reason: 'account-locked:reset-pending',
      check: 'resetPending',
    })
  })

  it('refuses a user without the login permission with its own code', () => {
    const decision = runLoginChecks(defaultLoginChecks, { ...subject, permissions: new Set() })
    assert.equal(decision.kind === 'deny' && decision.code, 'auth.login-not-permitted')
  })

  it('checks in order: a disabled tenant wins over a missing permission', () => {
    const decision = runLoginChecks(defaultLoginChecks, {
      ...subject,
      tenantStatus: 'disabled',
      permissions: new Set(),
    })
    assert.equal(decision.kind === 'deny' && decision.check, 'tenantDisabled')
  })
})

describe('policy and permissions', () => {
  it('checks length in characters, not bytes', () => {
    const policy = { ...defaultPasswordPolicy, minLength: 8, maxLength: 64, checkCommonPasswords: false }
    const check = (password: string) =>
      checkPassword(password, { userName: 'bob', policy }).map((v) => v.rule)
    assert.deepEqual(check('ééééééé'), ['min-length'])
    assert.deepEqual(check('éééééééé'), [])
    assert.deepEqual(check('x'.repeat(65)), ['max-length'])
  })

  it('gives tenants:manage only to the default tenant administrators', () => {
    assert.ok(administratorPermissions(true).includes('tenants:manage'))
    assert.ok(!administratorPermissions(false).includes('tenants:manage'))
  })

  it('generates strong unambiguous passwords', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const password = generatePassword()
      assert.match(password, /^[A-HJ-NP-Za-km-z2-9]{24}$/)
      seen.add(password)
    }
    assert.equal(seen.size, 200)
  })
})
