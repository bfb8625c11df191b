import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { consoleClient } from '../support/console.ts'
import { createAdministrator } from '../support/console-fixtures.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { PageClient, pageText } from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const TENANT_PASSWORD = 'Console-Tenant-Passphrase-1'
const AUDITOR_PASSWORD = 'console-tenants-auditor-1'

/** The row of one tenant in the list, as a reader sees it. */
function tenantRow(html: string, domain: string): string | undefined {
  const row = new RegExp(`<tr data-tenant="${domain.replaceAll('.', '\\.')}">([\\s\\S]*?)</tr>`).exec(html)
  return row ? pageText(row[1]!) : undefined
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: console tenants`, { skip: kind.skip }, () => {
    let h: Harness
    let client: PageClient

    before(async () => {
      h = await openHarness(kind)
      client = await consoleClient(h.app)
    })
    after(async () => h?.close())

    it('lists the tenants with their status and a link to each console', async () => {
      const page = await client.get('/console/tenants')
      assert.equal(page.status, 200)
      assert.match(page.body, /<h1>Tenants<\/h1>/)
      assert.match(page.body, /aria-current="page">Tenants</)
      const row = tenantRow(page.body, 'carbon.super')
      assert.ok(row)
      assert.match(row, /carbon\.super Default/)
      assert.match(row, /Active/)
      assert.match(row, /\d{4}-\d{2}-\d{2}/)
      // The default tenant has no way to be disabled here.
      assert.doesNotMatch(row, /Disable/)
      assert.match(page.body, /href="\/console">Open console/)
    })

    it('creates a tenant with its administrator, who can then sign in to its console', async () => {
      const form = await client.get('/console/tenants/new')
      assert.equal(form.status, 200)
      assert.match(form.body, /<label for="tenant-domain">Domain/)
      assert.match(
        form.body,
        /id="tenant-password" name="adminPassword" type="password" autocomplete="new-password"/,
      )
      const created = await client.post('/console/tenants/new', {
        domain: 'Console-Made.Example',
        displayName: 'Console Made',
        adminPassword: TENANT_PASSWORD,
        adminPasswordConfirmation: TENANT_PASSWORD,
      })
      assert.equal(created.status, 303, created.body)
      assert.equal(created.location, '/console/tenants?done=tenant-created')
      const list = await client.follow(created)
      assert.match(pageText(list.body), /The tenant was created/)
      const row = tenantRow(list.body, 'console-made.example')
      assert.ok(row, 'the domain is stored in lower case')
      assert.match(row, /Console Made/)
      assert.match(row, /Active/)
      assert.match(list.body, /href="\/t\/console-made\.example\/console">Open console/)
      const tenantAdmin = await consoleClient(h.app, {
        base: '/t/console-made.example',
        password: TENANT_PASSWORD,
      })
      assert.match(tenantAdmin.lastPage, /data-field="console-tenant">console-made\.example</)
      // The event is in the new tenant's log, by the administrator who made it.
      const log = await tenantAdmin.get('/t/console-made.example/console/audit?action=tenant.created')
      assert.match(pageText(log.body), /user:admin tenant\.created console-made\.example/)
    })

    it('shows invalid domains, duplicates, weak and mismatched passwords on the form', async () => {
      await client.get('/console/tenants/new')
      const cases: Array<[Record<string, string>, number, string, RegExp]> = [
        [
          { domain: 'bad domain!', adminPassword: TENANT_PASSWORD },
          400,
          'tenant-domain',
          /invalid tenant domain/,
        ],
        [
          { domain: '-x.example', adminPassword: TENANT_PASSWORD },
          400,
          'tenant-domain',
          /invalid tenant domain/,
        ],
        [
          { domain: 'console-made.example', adminPassword: TENANT_PASSWORD },
          409,
          'tenant-domain',
          /already exists/,
        ],
        [{ domain: 'CARBON.SUPER', adminPassword: TENANT_PASSWORD }, 409, 'tenant-domain', /already exists/],
        [{ domain: '', adminPassword: TENANT_PASSWORD }, 400, 'tenant-domain', /Enter the domain/],
        [{ domain: 'weak.example', adminPassword: 'short' }, 400, 'tenant-password', /at least/],
        [{ domain: 'weak.example', adminPassword: '' }, 400, 'tenant-password', /Enter a password/],
        [
          {
            domain: 'mismatch.example',
            adminPassword: TENANT_PASSWORD,
            adminPasswordConfirmation: 'other-1',
          },
          400,
          'tenant-password-confirmation',
          /do not match/,
        ],
        [
          { domain: 'long.example', displayName: 'x'.repeat(256), adminPassword: TENANT_PASSWORD },
          400,
          'tenant-display-name',
          /at most 255/,
        ],
      ]
      for (const [fields, status, field, message] of cases) {
        const answer = await client.post('/console/tenants/new', {
          displayName: '',
          adminPasswordConfirmation: fields.adminPassword ?? '',
          ...fields,
        })
        const label = JSON.stringify(fields).slice(0, 80)
        assert.equal(answer.status, status, label)
        assert.match(answer.body, new RegExp(`<a href="#${field}">`), label)
        assert.match(pageText(answer.body), message, label)
        assert.match(answer.body, new RegExp(`id="${field}"[^>]*aria-invalid="true"`), label)
        // What was typed is kept, except the passwords.
        if (fields.domain) assert.ok(answer.body.includes(`value="${fields.domain}"`), label)
        assert.ok(!answer.body.includes(TENANT_PASSWORD), label)
      }
      const listed = await client.get('/console/tenants')
      for (const domain of ['weak.example', 'mismatch.example', 'long.example'])
        assert.equal(tenantRow(listed.body, domain), undefined, domain)
    })

    it('disables a tenant after a confirmation, which ends its sign-ins, and enables it again', async () => {
      const list = await client.get('/console/tenants')
      assert.match(list.body, /href="\/console\/tenants\/console-made\.example\/disable"/)
      const confirm = await client.get('/console/tenants/console-made.example/disable')
      assert.equal(confirm.status, 200)
      assert.match(pageText(confirm.body), /Disable console-made\.example\?/)
      assert.match(pageText(confirm.body), /Disabling ends the tenant’s sign-ins/)
      const disabled = await client.post('/console/tenants/console-made.example/disable', {})
      assert.equal(disabled.status, 303)
      assert.equal(disabled.location, '/console/tenants?done=tenant-disabled')
      const after = await client.follow(disabled)
      assert.match(tenantRow(after.body, 'console-made.example') ?? '', /Disabled/)
      assert.match(pageText(after.body), /The tenant was disabled/)

      const refused = await call(h.app, {
        method: 'POST',
        url: '/t/console-made.example/api/auth/login',
        payload: { username: 'admin', password: TENANT_PASSWORD },
      })
      assert.equal(refused.status, 401)

      const enabled = await client.post('/console/tenants/console-made.example/enable', {})
      assert.equal(enabled.status, 303)
      assert.equal(enabled.location, '/console/tenants?done=tenant-enabled')
      const again = await client.follow(enabled)
      assert.match(tenantRow(again.body, 'console-made.example') ?? '', /Active/)
      const signIn = await call(h.app, {
        method: 'POST',
        url: '/t/console-made.example/api/auth/login',
        payload: { username: 'admin', password: TENANT_PASSWORD },
      })
      assert.equal(signIn.status, 200)
    })

    it('refuses to disable the default tenant, and answers unknown tenants with 404', async () => {
      const confirm = await client.get('/console/tenants/carbon.super/disable')
      assert.equal(confirm.status, 409)
      assert.match(pageText(confirm.body), /The default tenant cannot be disabled/)
      assert.doesNotMatch(confirm.body, /button class="button danger"/)
      const posted = await client.post('/console/tenants/carbon.super/disable', {})
      assert.equal(posted.status, 409)
      assert.match(pageText(posted.body), /The default tenant cannot be disabled/)
      const list = await client.get('/console/tenants')
      assert.match(tenantRow(list.body, 'carbon.super') ?? '', /Active/)
      assert.equal((await client.get('/console/tenants/no-such.example/disable')).status, 404)
      assert.equal((await client.post('/console/tenants/no-such.example/enable', {})).status, 404)
    })

    it('refuses a form without its CSRF token (403) and changes nothing', async () => {
      await client.get('/console/tenants/new')
      const created = await client.post(
        '/console/tenants/new',
        {
          domain: 'csrf.example',
          adminPassword: TENANT_PASSWORD,
          adminPasswordConfirmation: TENANT_PASSWORD,
        },
        { csrf: false },
      )
      assert.equal(created.status, 403)
      assert.match(pageText(created.body), /This form has expired/)
      const disabled = await client.post(
        '/console/tenants/console-made.example/disable',
        {},
        { csrf: 'forged' },
      )
      assert.equal(disabled.status, 403)
      const list = await client.get('/console/tenants')
      assert.equal(tenantRow(list.body, 'csrf.example'), undefined)
      assert.match(tenantRow(list.body, 'console-made.example') ?? '', /Active/)
    })

    it('does not exist in a tenant’s console (404), even for its administrator', async () => {
      const tenantAdmin = await consoleClient(h.app, {
        base: '/t/console-made.example',
        password: TENANT_PASSWORD,
      })
      assert.doesNotMatch(pageText(tenantAdmin.lastPage), /Tenants/)
      for (const path of ['/tenants', '/tenants/new', '/tenants/carbon.super/disable']) {
        const answer = await tenantAdmin.get(`/t/console-made.example/console${path}`)
        assert.equal(answer.status, 404, path)
        assert.match(pageText(answer.body), /There is no console page at this address/, path)
      }
      const posted = await tenantAdmin.post('/t/console-made.example/console/tenants/new', {
        domain: 'from-tenant.example',
        adminPassword: TENANT_PASSWORD,
        adminPasswordConfirmation: TENANT_PASSWORD,
      })
      assert.equal(posted.status, 404)
      // Not even the default tenant's own URL space under /t/ has them.
      const viaPrefix = new PageClient(h.app)
      const anonymous = await viaPrefix.get('/t/carbon.super/console/tenants')
      assert.equal(anonymous.status, 303)
    })

    it('refuses a default-tenant administrator without tenants:manage (403)', async () => {
      await createAdministrator(h, {
        username: 'auditor',
        password: AUDITOR_PASSWORD,
        role: 'auditors',
        permissions: ['audit:read'],
      })
      const auditor = await consoleClient(h.app, { username: 'auditor', password: AUDITOR_PASSWORD })
      assert.doesNotMatch(pageText(auditor.lastPage), /Tenants/)
      for (const path of [
        '/console/tenants',
        '/console/tenants/new',
        '/console/tenants/console-made.example/disable',
      ]) {
        const refused = await auditor.get(path)
        assert.equal(refused.status, 403, path)
        assert.match(pageText(refused.body), /tenants:manage/, path)
      }
      const posted = await auditor.post('/console/tenants/console-made.example/disable', {})
      assert.equal(posted.status, 403)
      const list = await client.get('/console/tenants')
      assert.match(tenantRow(list.body, 'console-made.example') ?? '', /Active/)
    })
  })
}
