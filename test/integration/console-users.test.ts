import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import { consoleClient } from '../support/console.ts'
import { createAdministrator, createTenant } from '../support/console-fixtures.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { bearer, call } from '../support/http.ts'
import {
  createStaffUser,
  EMAIL_CLAIM,
  type PageClient,
  pageText,
  useShippedPasswordPolicy,
} from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const GIVEN_NAME = 'http://wso2.org/claims/givenname'
const LAST_NAME = 'http://wso2.org/claims/lastname'
const TELEPHONE = 'http://wso2.org/claims/telephone'
const PASSWORD = 'console-users-passphrase-7'

for (const kind of storeKinds) {
  describe(`${kind.kind}: console users pages`, { skip: kind.skip }, () => {
    let h: Harness
    let admin: PageClient

    const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      call(h.app, { method, url, auth: h.adminAuth, ...(payload ? { payload } : {}) })

    /** A user made through the use case (no password unless given: hashing is slow). */
    async function makeUser(username: string, claims: Record<string, string> = {}, password?: string) {
      const user = await h.container.users.create(
        h.defaultTenant,
        { username, claims, ...(password ? { password } : {}) },
        cliActor,
      )
      return user.id
    }

    const pendingOf = async (id: string) =>
      (await h.container.users.pendingResets(h.defaultTenant, [id])).get(id)

    /** The field error shown by a form field (its `-error` paragraph), as text. */
    const fieldError = (html: string, id: string) =>
      pageText(new RegExp(`<p class="error-message" id="${id}-error">([\\s\\S]*?)</p>`).exec(html)?.[1] ?? '')

    before(async () => {
      h = await openHarness(kind)
      await useShippedPasswordPolicy(h.app, h.adminAuth)
      await makeUser('ann', { [EMAIL_CLAIM]: 'ann@example.com', [GIVEN_NAME]: 'Ann' })
      await makeUser('anna', { [EMAIL_CLAIM]: 'anna@example.com' })
      await makeUser('bob', { [EMAIL_CLAIM]: 'Bob@Corp.example' })
      for (let index = 0; index < 30; index++)
        await makeUser(`page-${String(index).padStart(2, '0')}`, {
          [EMAIL_CLAIM]: `page${index}@paging.example`,
        })
      admin = await consoleClient(h.app)
    })
    after(async () => h?.close())

    it('lists users a page at a time with their email, status, pending reset and password age', async () => {
      const first = await admin.get('/console/users')
      assert.equal(first.status, 200)
      const text = pageText(first.body)
      // admin + ann + anna + bob + 30 paging users, at least (other tests add more).
      const total = Number(/data-field="total">(\d+)</.exec(first.body)?.[1])
      assert.ok(total >= 34, String(total))
      assert.match(text, /Showing 1 – 25 of/)
      assert.equal((first.body.match(/<th scope="row">/g) ?? []).length, 25)
      assert.match(text, /ann ann@example\.com Active none pending never set/)
      assert.match(text, /admin .*Active none pending less than a day/)
      const next = /href="([^"]+)" rel="next"/.exec(first.body)?.[1]
      assert.equal(next, '/console/users?by=username&amp;page=2')
      const second = await admin.get('/console/users?by=username&page=2')
      assert.equal(second.status, 200)
      assert.match(pageText(second.body), new RegExp(`Showing 26 – ${Math.min(50, total)} of ${total}`))
      assert.match(second.body, /rel="prev"/)
      const pastTheEnd = await admin.get('/console/users?by=username&page=500')
      assert.equal(pastTheEnd.status, 303)
      assert.match(pastTheEnd.location ?? '', /^\/console\/users\?by=username&page=\d+$/)
      assert.equal((await admin.get('/console/users?offset=-1')).status, 400)
      assert.equal((await admin.get('/console/users?page=0')).status, 400)
      const byOffset = await admin.get('/console/users?offset=30')
      assert.match(pageText(byOffset.body), /Showing 31 – /)
      assert.match(byOffset.body, /href="\/console\/users\?by=username&amp;offset=5" rel="prev"/)
    })

    it('searches by user name prefix, case-insensitively', async () => {
      const found = await admin.get('/console/users?by=username&q=AN')
      assert.equal(found.status, 200)
      const text = pageText(found.body)
      assert.match(text, /\bann\b/)
      assert.match(text, /\banna\b/)
      assert.doesNotMatch(text, /\bbob\b/)
      assert.match(text, /of 2\b/)
      // Characters that are wildcards elsewhere match themselves.
      assert.match(pageText((await admin.get('/console/users?by=username&q=a%25')).body), /No user matches/)
      assert.match(pageText((await admin.get('/console/users?by=username&q=_')).body), /No user matches/)
      const paged = await admin.get('/console/users?by=username&q=page-')
      assert.match(pageText(paged.body), /Showing 1 – 25 of 30/)
      assert.match(paged.body, /href="\/console\/users\?by=username&amp;q=page-&amp;page=2" rel="next"/)
    })

    it('finds a user by the whole email address, whatever its case', async () => {
      const found = await admin.get(`/console/users?by=email&q=${encodeURIComponent('bob@corp.EXAMPLE')}`)
      assert.equal(found.status, 200)
      const text = pageText(found.body)
      assert.match(text, /bob Bob@Corp\.example/)
      assert.match(text, /of 1\b/)
      const partial = await admin.get('/console/users?by=email&q=bob')
      assert.match(pageText(partial.body), /No user matches this search/)
    })

    it('searches with a SCIM filter, and shows a bad filter’s message by the field with a 400', async () => {
      const byDomain = await admin.get(
        `/console/users?by=filter&q=${encodeURIComponent('emails.value ew "@example.com"')}`,
      )
      assert.equal(byDomain.status, 200)
      const text = pageText(byDomain.body)
      assert.match(text, /\bann\b.*\banna\b/)
      assert.doesNotMatch(text, /\bbob\b|page-00/)
      const byName = await admin.get(
        `/console/users?by=filter&q=${encodeURIComponent('userName sw "page-1"')}`,
      )
      assert.match(pageText(byName.body), /Showing 1 – 10 of 10/)
      const bad = await admin.get(`/console/users?by=filter&q=${encodeURIComponent('userName zz "a"')}`)
      assert.equal(bad.status, 400)
      assert.match(bad.body, /id="q"[^>]*aria-invalid="true"/)
      assert.match(fieldError(bad.body, 'q'), /Expected .*position/)
      assert.match(bad.body, /<a href="#q">/)
      const unknown = await admin.get(`/console/users?by=filter&q=${encodeURIComponent('shoeSize eq "9"')}`)
      assert.equal(unknown.status, 400)
      assert.ok(fieldError(unknown.body, 'q').length > 0)
    })

    it('creates a user with claims and roles; a duplicate name and a weak password are refused on the form', async () => {
      const form = await admin.get('/console/users/new')
      assert.equal(form.status, 200)
      assert.doesNotMatch(form.body, /id="store"/, 'no store choice with only PRIMARY')
      assert.match(form.body, /name="roles" value="admin"/)
      const created = await admin.post('/console/users/new', {
        username: 'carol',
        password: 'a-long-and-unusual-passphrase-9',
        email: 'carol@example.com',
        'given-name': 'Carol',
        'last-name': 'Jones',
        roles: 'staff-console',
      })
      // The role does not exist yet: the form says so, and nothing is created.
      assert.equal(created.status, 400)
      assert.equal((await api('GET', '/api/admin/users/carol')).status, 404)
      await api('POST', '/api/admin/roles', { name: 'staff-console', permissions: ['login'] })
      await admin.get('/console/users/new')
      const ok = await admin.post('/console/users/new', {
        username: 'carol',
        password: 'a-long-and-unusual-passphrase-9',
        email: 'carol@example.com',
        'given-name': 'Carol',
        'last-name': 'Jones',
        telephone: '',
        roles: 'staff-console',
      })
      assert.equal(ok.status, 303, ok.body)
      assert.match(ok.location ?? '', /^\/console\/users\/[0-9a-f-]{36}\?done=user-created$/)
      const profile = await admin.follow(ok)
      assert.match(pageText(profile.body), /The user was created/)
      const carol = (await api('GET', '/api/admin/users/carol')).body
      assert.equal(carol.claims[EMAIL_CLAIM], 'carol@example.com')
      assert.equal(carol.claims[LAST_NAME], 'Jones')
      assert.equal(carol.claims[TELEPHONE], undefined)
      assert.deepEqual(carol.roles, ['staff-console'])
      assert.ok(carol.passwordChangedAt)
      const audit = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'user.created',
      })
      assert.equal(audit[0]?.target, carol.id)

      await admin.get('/console/users/new')
      const duplicate = await admin.post('/console/users/new', { username: 'CAROL', email: 'x@example.com' })
      assert.equal(duplicate.status, 409)
      assert.match(fieldError(duplicate.body, 'username'), /already exists/)
      assert.match(duplicate.body, /id="email"[^>]*value="x@example.com"/)

      await admin.get('/console/users/new')
      const weak = await admin.post('/console/users/new', { username: 'dave', password: 'dave' })
      assert.equal(weak.status, 400)
      assert.match(weak.body, /id="password"[^>]*aria-invalid="true"/)
      assert.ok(fieldError(weak.body, 'password').length > 0)
      assert.equal((await api('GET', '/api/admin/users/dave')).status, 404)

      await admin.get('/console/users/new')
      const nameless = await admin.post('/console/users/new', { username: '  ' })
      assert.equal(nameless.status, 400)
      assert.match(fieldError(nameless.body, 'username'), /Enter a user name/)
      await admin.get('/console/users/new')
      const tooLong = await admin.post('/console/users/new', { username: 'eve', email: 'x'.repeat(5000) })
      assert.equal(tooLong.status, 400)
      assert.match(tooLong.body, /id="email"[^>]*aria-invalid="true"/)
      assert.equal((await api('GET', '/api/admin/users/eve')).status, 404)
    })

    it('offers the user store choice when the organisation has more than one', async () => {
      const store = await api('POST', '/api/admin/user-stores', { domain: 'PARTNERS' })
      assert.equal(store.status, 201, JSON.stringify(store.body))
      const form = await admin.get('/console/users/new')
      assert.match(form.body, /<select class="input" id="store" name="store"/)
      const created = await admin.post('/console/users/new', { username: 'pat', store: 'PARTNERS' })
      assert.equal(created.status, 303, created.body)
      assert.equal((await api('GET', '/api/admin/users/PARTNERS%2Fpat')).status, 200)
      const profile = await admin.follow(created)
      assert.match(profile.body, /data-field="user-store">PARTNERS</)
      assert.match(profile.body, /data-field="user-name">PARTNERS\/pat</)
      // The name search matches the name as shown, store domain included.
      const found = await admin.get('/console/users?by=username&q=partners%2Fp')
      assert.match(pageText(found.body), /PARTNERS\/pat .* of 1\b/)
      assert.doesNotMatch(pageText((await admin.get('/console/users?by=username&q=pat')).body), /PARTNERS/)
    })

    it('shows the profile: facts, claims, roles, reset state and sessions', async () => {
      const id = await createStaffUser(h.app, h.adminAuth, { username: 'frank', password: PASSWORD })
      const session = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'frank', password: PASSWORD },
      })
      assert.equal(session.status, 200)
      const page = await admin.get(`/console/users/${id}`)
      assert.equal(page.status, 200)
      assert.match(page.body, new RegExp(`data-field="user-id">${id}<`))
      assert.match(page.body, /data-field="user-status">Active</)
      assert.match(page.body, /value="frank@example.com"/)
      assert.match(page.body, /href="\/console\/roles\/staff"/)
      assert.match(pageText(page.body), /No password reset is pending/)
      assert.match(pageText(page.body), /Live sessions/)
      assert.match(page.body, /name="session" value="[0-9a-f-]{36}"/)
      assert.match(page.body, /<h1>frank<\/h1>/)
    })

    it('edits claims: changes, removes with an empty value, adds a claim; a bad one is refused by its row', async () => {
      const id = await makeUser('gina', {
        [EMAIL_CLAIM]: 'gina@example.com',
        [TELEPHONE]: '+1 555 0100',
        'http://example.com/claims/team': 'blue',
      })
      const page = await admin.get(`/console/users/${id}`)
      const rows = [...page.body.matchAll(/name="uri-(\d+)" value="([^"]+)"/g)].map((match) => ({
        index: match[1]!,
        uri: match[2]!,
      }))
      assert.deepEqual(
        rows.map((row) => row.uri),
        [EMAIL_CLAIM, GIVEN_NAME, LAST_NAME, TELEPHONE, 'http://example.com/claims/team'],
      )
      const fields: Record<string, string> = {}
      for (const row of rows) fields[`uri-${row.index}`] = row.uri
      Object.assign(fields, {
        'claim-0': 'gina@example.com',
        'claim-1': 'Gina',
        'claim-2': '',
        'claim-3': '',
        'claim-4': 'green',
        'new-claim-uri': 'http://wso2.org/claims/mobile',
        'new-claim-value': '+1 555 0199',
      })
      const saved = await admin.post(`/console/users/${id}/claims`, fields)
      assert.equal(saved.status, 303, saved.body)
      assert.equal(saved.location, `/console/users/${id}?done=user-claims-saved`)
      const claims = (await api('GET', `/api/admin/users/${id}`)).body.claims
      assert.equal(claims[GIVEN_NAME], 'Gina')
      assert.equal(claims[TELEPHONE], undefined)
      assert.equal(claims['http://example.com/claims/team'], 'green')
      assert.equal(claims['http://wso2.org/claims/mobile'], '+1 555 0199')

      await admin.get(`/console/users/${id}`)
      const bad = await admin.post(`/console/users/${id}/claims`, {
        'uri-0': EMAIL_CLAIM,
        'claim-0': 'gina@example.com',
        'new-claim-uri': 'not a uri',
        'new-claim-value': 'x',
      })
      assert.equal(bad.status, 400)
      assert.match(bad.body, /id="new-claim-value"[^>]*aria-invalid="true"/)
      await admin.get(`/console/users/${id}`)
      const readOnly = await admin.post(`/console/users/${id}/claims`, {
        'new-claim-uri': 'http://wso2.org/claims/identity/adminForcedPasswordReset',
        'new-claim-value': 'true',
      })
      assert.equal(readOnly.status, 400)
      assert.match(fieldError(readOnly.body, 'new-claim-uri'), /password reset actions/)
      assert.equal(await pendingOf(id), undefined)
    })

    it('adds the user to a role and removes it again', async () => {
      const id = await makeUser('hank')
      await api('POST', '/api/admin/roles', { name: 'auditors', permissions: ['audit:read'] })
      const page = await admin.get(`/console/users/${id}`)
      assert.match(page.body, /<option value="auditors">auditors<\/option>/)
      const added = await admin.post(`/console/users/${id}/roles/add`, { role: 'auditors' })
      assert.equal(added.status, 303)
      assert.equal(added.location, `/console/users/${id}?done=user-role-added`)
      assert.deepEqual((await api('GET', `/api/admin/users/${id}`)).body.roles, ['auditors'])
      await admin.follow(added)
      assert.match(page.body, /<option value="" selected>Choose a role<\/option>/)
      const nothing = await admin.post(`/console/users/${id}/roles/add`, { role: '' })
      assert.equal(nothing.status, 400)
      assert.match(fieldError(nothing.body, 'add-role'), /Choose a role/)
      const unknown = await admin.post(`/console/users/${id}/roles/add`, { role: 'no-such-role' })
      assert.equal(unknown.status, 400)
      assert.match(fieldError(unknown.body, 'add-role'), /does not exist|No such role/)
      const removed = await admin.post(`/console/users/${id}/roles/remove`, { role: 'auditors' })
      assert.equal(removed.status, 303)
      assert.deepEqual((await api('GET', `/api/admin/users/${id}`)).body.roles, [])
    })

    for (const mode of ['email-link', 'email-otp', 'offline-otp'] as const) {
      it(`forces a reset in the ${mode} mode and shows it pending`, async () => {
        const id = await makeUser(`reset-${mode}`, { [EMAIL_CLAIM]: `${mode}@example.com` })
        await admin.get(`/console/users/${id}`)
        const forced = await admin.post(`/console/users/${id}/force-reset`, { mode })
        assert.equal(forced.status, 303, forced.body)
        const page = await admin.follow(forced)
        const pending = await pendingOf(id)
        assert.equal(pending?.mode, mode)
        assert.equal(pending?.requested_by, 'admin')
        assert.equal(pending?.reason, 'console')
        assert.match(page.body, /data-field="reset-pending">Yes, /)
        assert.match(page.body, /data-field="reset-by">admin</)
        assert.match(page.body, /data-field="user-status">Locked until the password is reset</)
        assert.equal(/Reveal the one-time password/.test(page.body), mode === 'offline-otp')
        const list = await admin.get(`/console/users?by=username&q=reset-${mode}`)
        assert.match(pageText(list.body), /Locked until the password is reset Reset pending /)
      })
    }

    it('reveals the offline one-time password once, audited, and cancels the reset', async () => {
      const id = await makeUser('ivan')
      await admin.get(`/console/users/${id}`)
      assert.equal(
        (await admin.post(`/console/users/${id}/force-reset`, { mode: 'offline-otp' })).status,
        303,
      )
      const masked = await admin.get(`/console/users/${id}`)
      assert.match(masked.body, /••••••••/)
      assert.doesNotMatch(masked.body, /data-field="one-time-password"/)
      const before = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 100,
        action: 'user.one-time-password-read',
      })
      const revealed = await admin.post(`/console/users/${id}/one-time-password`, {})
      assert.equal(revealed.status, 200)
      const otp = /data-field="one-time-password">([^<]+)</.exec(revealed.body)?.[1]
      assert.match(otp ?? '', /^[A-Z2-9]{8}$/)
      assert.equal(revealed.headers['cache-control'], 'no-store')
      const after = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 100,
        action: 'user.one-time-password-read',
      })
      assert.equal(after.length, before.length + 1)
      assert.equal(after[0]?.target, id)
      assert.equal(after[0]?.actor, 'user:admin')
      // The code signs the user in (to the page that sets a new password).
      const login = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'ivan', password: otp },
      })
      assert.notEqual(login.status, 401, JSON.stringify(login.body))

      await admin.get(`/console/users/${id}`)
      const cancelled = await admin.post(`/console/users/${id}/cancel-reset`, {})
      assert.equal(cancelled.location, `/console/users/${id}?done=user-reset-cancelled`)
      assert.equal(await pendingOf(id), undefined)
      const page = await admin.follow(cancelled)
      assert.match(pageText(page.body), /No password reset is pending/)
      assert.match(page.body, /data-field="user-status">Active</)
      const again = await admin.post(`/console/users/${id}/one-time-password`, {})
      assert.equal(again.status, 409)
      assert.match(pageText(again.body), /no live offline one-time password/)
      const none = await admin.post(`/console/users/${id}/cancel-reset`, {})
      assert.equal(none.location, `/console/users/${id}?done=user-reset-not-pending`)
    })

    it('refuses an emailed reset for a user without an email address, by the mode field', async () => {
      const id = await makeUser('jill')
      await admin.get(`/console/users/${id}`)
      const refused = await admin.post(`/console/users/${id}/force-reset`, { mode: 'email-link' })
      assert.equal(refused.status, 409)
      assert.match(fieldError(refused.body, 'reset-mode'), /no email address/)
      assert.equal(await pendingOf(id), undefined)
      const badMode = await admin.post(`/console/users/${id}/force-reset`, { mode: 'carrier-pigeon' })
      assert.equal(badMode.status, 400)
      assert.equal(await pendingOf(id), undefined)
    })

    it('sets a password: a mismatch and a weak one are refused by their fields; a good one signs in', async () => {
      const id = await createStaffUser(h.app, h.adminAuth, { username: 'kim', password: PASSWORD })
      await admin.get(`/console/users/${id}`)
      const mismatch = await admin.post(`/console/users/${id}/password`, {
        password: 'a-fresh-passphrase-41',
        confirmation: 'a-fresh-passphrase-42',
      })
      assert.equal(mismatch.status, 400)
      assert.match(fieldError(mismatch.body, 'new-password-confirm'), /do not match/)
      const weak = await admin.post(`/console/users/${id}/password`, { password: 'kim', confirmation: 'kim' })
      assert.equal(weak.status, 400)
      assert.ok(fieldError(weak.body, 'new-password').length > 0)
      const set = await admin.post(`/console/users/${id}/password`, {
        password: 'a-fresh-passphrase-41',
        confirmation: 'a-fresh-passphrase-41',
      })
      assert.equal(
        set.location,
        `/console/users/${id}?done=user-password-set`,
        pageText(set.body).slice(-1500),
      )
      const login = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'kim', password: 'a-fresh-passphrase-41' },
      })
      assert.equal(login.status, 200)
    })

    it('locks with a reason and unlocks; a bad reason is refused', async () => {
      const id = await makeUser('lena')
      await admin.get(`/console/users/${id}`)
      const bad = await admin.post(`/console/users/${id}/lock`, { reason: 'Left <the> company' })
      assert.equal(bad.status, 400)
      assert.match(bad.body, /id="lock-reason"[^>]*aria-invalid="true"/)
      const faked = await admin.post(`/console/users/${id}/lock`, { reason: 'reset-pending' })
      assert.equal(faked.status, 400)
      assert.equal((await api('GET', `/api/admin/users/${id}`)).body.status, 'active')
      const locked = await admin.post(`/console/users/${id}/lock`, { reason: 'left-company' })
      assert.equal(locked.location, `/console/users/${id}?done=user-locked`)
      const user = (await api('GET', `/api/admin/users/${id}`)).body
      assert.equal(user.status, 'locked')
      assert.equal(user.lockReason, 'left-company')
      const page = await admin.follow(locked)
      assert.match(page.body, /Locked reason: left-company/)
      const unlocked = await admin.post(`/console/users/${id}/unlock`, {})
      assert.equal(unlocked.location, `/console/users/${id}?done=user-unlocked`)
      assert.equal((await api('GET', `/api/admin/users/${id}`)).body.status, 'active')
    })

    it('ends one session of the user', async () => {
      const id = await createStaffUser(h.app, h.adminAuth, { username: 'mia', password: PASSWORD })
      const login = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'mia', password: PASSWORD },
      })
      const page = await admin.get(`/console/users/${id}`)
      const sessionId = /name="session" value="([0-9a-f-]{36})"/.exec(page.body)?.[1]
      assert.ok(sessionId)
      const revoked = await admin.post(`/console/users/${id}/sessions/revoke`, { session: sessionId })
      assert.equal(revoked.location, `/console/users/${id}?done=user-session-revoked`)
      const me = await call(h.app, {
        method: 'GET',
        url: '/api/auth/session',
        auth: bearer(login.body.token),
      })
      assert.equal(me.status, 401)
      assert.deepEqual((await api('GET', `/api/admin/users/${id}/sessions`)).body.sessions, [])
      await admin.get(`/console/users/${id}`)
      const gone = await admin.post(`/console/users/${id}/sessions/revoke`, { session: sessionId })
      assert.equal(gone.status, 404)
      const junk = await admin.post(`/console/users/${id}/sessions/revoke`, { session: 'not-an-id' })
      assert.equal(junk.status, 404)
    })

    it('deletes a user after a confirmation page; its own account cannot be deleted', async () => {
      const id = await makeUser('nora')
      const confirm = await admin.get(`/console/users/${id}/delete`)
      assert.equal(confirm.status, 200)
      assert.match(pageText(confirm.body), /Delete nora\?/)
      const deleted = await admin.post(`/console/users/${id}/delete`, {})
      assert.equal(deleted.location, '/console/users?done=user-deleted')
      assert.match(pageText((await admin.follow(deleted)).body), /The user was deleted/)
      assert.equal((await api('GET', `/api/admin/users/${id}`)).status, 404)
      assert.equal((await admin.get(`/console/users/${id}`)).status, 404)

      const self = (await api('GET', '/api/admin/users/admin')).body.id
      await admin.get(`/console/users/${self}/delete`)
      const refused = await admin.post(`/console/users/${self}/delete`, {})
      assert.equal(refused.status, 409)
      assert.equal((await api('GET', '/api/admin/users/admin')).status, 200)
    })

    it('refuses a post without the CSRF token and changes nothing', async () => {
      const id = await makeUser('olga')
      await admin.get(`/console/users/${id}`)
      for (const [path, fields] of [
        ['lock', { reason: 'csrf' }],
        ['force-reset', { mode: 'offline-otp' }],
        ['delete', {}],
        ['claims', { 'new-claim-uri': 'http://example.com/x', 'new-claim-value': 'x' }],
      ] as const) {
        const refused = await admin.post(`/console/users/${id}/${path}`, fields, { csrf: false })
        assert.equal(refused.status, 403, path)
        assert.match(pageText(refused.body), /This form has expired/)
      }
      const forged = await admin.post('/console/users/new', { username: 'forged' }, { csrf: 'x'.repeat(40) })
      assert.equal(forged.status, 403)
      const user = (await api('GET', `/api/admin/users/${id}`)).body
      assert.equal(user.status, 'active')
      assert.equal(user.claims['http://example.com/x'], undefined)
      assert.equal(await pendingOf(id), undefined)
      assert.equal((await api('GET', '/api/admin/users/forged')).status, 404)
    })

    it('hides the reset actions from a role without reset:force and refuses its crafted posts', async () => {
      await createAdministrator(h, {
        username: 'helper',
        password: PASSWORD,
        role: 'helpdesk',
        permissions: ['users:read', 'users:write'],
      })
      const target = await makeUser('pia', { [EMAIL_CLAIM]: 'pia@example.com' })
      const helper = await consoleClient(h.app, { username: 'helper', password: PASSWORD })
      const page = await helper.get(`/console/users/${target}`)
      assert.equal(page.status, 200)
      assert.doesNotMatch(page.body, /force-reset|Force a password reset|cancel-reset|one-time-password/)
      assert.match(page.body, /action="\/console\/users\/[^"]+\/lock"/, 'users:write actions stay')
      const crafted = await helper.post(`/console/users/${target}/force-reset`, { mode: 'email-link' })
      assert.equal(crafted.status, 403)
      assert.match(pageText(crafted.body), /reset:force/)
      assert.equal(await pendingOf(target), undefined)
      assert.equal((await api('GET', `/api/admin/users/${target}`)).body.status, 'active')
      // Not through the claims editor either (the forced-reset flag needs reset:force).
      const viaClaims = await helper.post(`/console/users/${target}/claims`, {
        'uri-0': 'http://wso2.org/claims/identity/adminForcedPasswordReset',
        'claim-0': 'true',
      })
      assert.equal(viaClaims.status, 303)
      assert.equal(await pendingOf(target), undefined)
      await admin.get(`/console/users/${target}`)
      await admin.post(`/console/users/${target}/force-reset`, { mode: 'offline-otp' })
      await helper.get(`/console/users/${target}`)
      const reveal = await helper.post(`/console/users/${target}/one-time-password`, {})
      assert.equal(reveal.status, 403)
      assert.doesNotMatch(reveal.body, /data-field="one-time-password"/)
      const cancel = await helper.post(`/console/users/${target}/cancel-reset`, {})
      assert.equal(cancel.status, 403)
      assert.ok(await pendingOf(target))
    })

    it('shows a read-only administrator the users without any form, and refuses its posts', async () => {
      await createAdministrator(h, {
        username: 'viewer',
        password: PASSWORD,
        role: 'viewers',
        permissions: ['users:read'],
      })
      const target = await makeUser('rita', { [EMAIL_CLAIM]: 'rita@example.com' })
      const viewer = await consoleClient(h.app, { username: 'viewer', password: PASSWORD })
      const list = await viewer.get('/console/users')
      assert.equal(list.status, 200)
      assert.doesNotMatch(list.body, /Create a user/)
      const page = await viewer.get(`/console/users/${target}`)
      assert.equal(page.status, 200)
      assert.match(pageText(page.body), /Email address rita@example\.com/)
      // The only form left is the header's sign-out.
      assert.deepEqual(
        [...page.body.matchAll(/<form[^>]* method="post" action="([^"]*)"/g)].map((match) => match[1]),
        ['/logout'],
      )
      assert.equal((await viewer.get('/console/users/new')).status, 403)
      assert.equal((await viewer.get(`/console/users/${target}/delete`)).status, 403)
      const lock = await viewer.post(`/console/users/${target}/lock`, { reason: 'nope' })
      assert.equal(lock.status, 403)
      assert.equal((await api('GET', `/api/admin/users/${target}`)).body.status, 'active')
    })

    it('answers an unknown id and another organisation’s user with the 404 page', async () => {
      assert.equal((await admin.get('/console/users/00000000-0000-4000-8000-000000000000')).status, 404)
      assert.equal((await admin.get('/console/users/no-such-user')).status, 404)
      await createTenant(h, 'console-users.example', 'Tenant-Admin-Passphrase-9')
      const other = await call(h.app, {
        method: 'POST',
        url: '/t/console-users.example/api/admin/users',
        auth: basicAuth('admin', 'Tenant-Admin-Passphrase-9'),
        payload: { username: 'quinn' },
      })
      assert.equal(other.status, 201, JSON.stringify(other.body))
      const foreignId = other.body.id
      const page = await admin.get(`/console/users/${foreignId}`)
      assert.equal(page.status, 404)
      assert.match(pageText(page.body), /Not found/)
      await admin.get('/console/users')
      for (const path of ['lock', 'force-reset', 'delete', 'claims', 'one-time-password']) {
        const refused = await admin.post(`/console/users/${foreignId}/${path}`, { mode: 'offline-otp' })
        assert.equal(refused.status, 404, path)
      }
      assert.equal((await admin.get(`/console/users/${foreignId}/delete`)).status, 404)
      const foreign = await call(h.app, {
        method: 'GET',
        url: `/t/console-users.example/api/admin/users/${foreignId}`,
        auth: basicAuth('admin', 'Tenant-Admin-Passphrase-9'),
      })
      assert.equal(foreign.body.status, 'active')
      // The other organisation's console finds it; this one's list does not.
      assert.doesNotMatch(pageText((await admin.get('/console/users?q=quinn')).body), /\bquinn\b/)
    })
  })
}
