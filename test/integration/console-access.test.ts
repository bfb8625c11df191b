import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { consoleClient } from '../support/console.ts'
import { createTenant } from '../support/console-fixtures.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { createStaffUser, PageClient, pageText } from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const PASSWORD = 'console-access-passphrase-1'

for (const kind of storeKinds) {
  describe(`${kind.kind}: console sign-in and access`, { skip: kind.skip }, () => {
    let h: Harness

    before(async () => {
      h = await openHarness(kind)
    })
    after(async () => h?.close())

    it('sends an anonymous browser to the sign-in page and back to the page it asked for', async () => {
      const browser = new PageClient(h.app)
      const asked = await browser.get('/console/users?q=ann')
      assert.equal(asked.status, 303)
      assert.equal(asked.location, `/login?next=${encodeURIComponent('/console/users?q=ann')}`)
      const login = await browser.follow(asked)
      assert.match(login.body, /<input type="hidden" name="next" value="\/console\/users\?q=ann">/)
      const client = await consoleClient(h.app)
      const landing = client.lastPage
      assert.match(landing, /<title>Console · Rekey console<\/title>/)
      assert.match(landing, /data-field="console-user">admin</)
      for (const section of [
        'Users',
        'Bulk force reset',
        'Roles',
        'Password reset settings',
        'Email',
        'Audit log',
        'Tenants',
      ])
        assert.ok(pageText(landing).includes(section), section)
    })

    it('never redirects outside the console after sign-in (open redirect)', async () => {
      for (const next of [
        '//evil.example',
        'https://evil.example/console',
        '/myaccount',
        '/console\\@evil',
        '/consolex',
      ]) {
        const browser = new PageClient(h.app)
        await browser.get(`/login?next=${encodeURIComponent(next)}`)
        assert.doesNotMatch(browser.lastPage, /name="next"/, next)
        const signedIn = await browser.post('/login', { username: 'admin', password: ADMIN_PASSWORD, next })
        if (signedIn.status === 303) assert.equal(signedIn.location, '/myaccount', next)
      }
    })

    it('answers a user without administrator permissions with a 403 page, not the console', async () => {
      await createStaffUser(h.app, h.adminAuth, { username: 'staff-only', password: PASSWORD })
      const browser = new PageClient(h.app)
      await browser.get('/login?next=%2Fconsole')
      const signedIn = await browser.post('/login', {
        username: 'staff-only',
        password: PASSWORD,
        next: '/console',
      })
      assert.equal(signedIn.location, '/console')
      const refused = await browser.get('/console')
      assert.equal(refused.status, 403)
      assert.match(pageText(refused.body), /No access to the console/)
      assert.equal((await browser.get('/console/users')).status, 403)
    })

    it('sets the console policy headers and answers unknown console pages with a 404 page', async () => {
      const client = await consoleClient(h.app)
      const answer = await client.get('/console/no-such-page')
      assert.equal(answer.status, 404)
      assert.match(pageText(answer.body), /There is no console page at this address/)
      assert.match(String(answer.headers['content-security-policy']), /default-src 'none'/)
      assert.match(String(answer.headers['content-security-policy']), /frame-ancestors 'none'/)
      assert.equal(answer.headers['cache-control'], 'no-store')
    })

    it('keeps a tenant’s session out of another tenant’s console', async () => {
      await createTenant(h, 'console-iso.example', 'Tenant-Admin-Passphrase-9')
      const tenantAdmin = await consoleClient(h.app, {
        base: '/t/console-iso.example',
        password: 'Tenant-Admin-Passphrase-9',
      })
      assert.doesNotMatch(pageText(tenantAdmin.lastPage), /Tenants/)
      const rootAttempt = await tenantAdmin.get('/console')
      assert.equal(rootAttempt.status, 303)
      assert.match(rootAttempt.location ?? '', /^\/login\?next=/)
      const superAdmin = await consoleClient(h.app)
      const crossAttempt = await superAdmin.get('/t/console-iso.example/console')
      assert.equal(crossAttempt.status, 303)
      assert.match(crossAttempt.location ?? '', /^\/t\/console-iso\.example\/login\?next=/)
      const unknown = await superAdmin.get('/t/no-such-tenant.example/console')
      assert.equal(unknown.status, 404)
    })

    it('ends the console with the session: after sign-out every page asks for a sign-in again', async () => {
      const client = await consoleClient(h.app)
      const out = await client.post('/logout', {})
      assert.equal(out.status, 303)
      const after = await client.get('/console')
      assert.equal(after.status, 303)
      assert.match(after.location ?? '', /^\/login\?next=/)
    })
  })
}
