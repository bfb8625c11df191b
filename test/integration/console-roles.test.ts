import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { userNameKey } from '../../src/domain/user-name.ts'
import { cliActor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { consoleClient } from '../support/console.ts'
import {
  consoleClientAt,
  createAdministrator,
  createTenant,
  errorSummary,
} from '../support/console-fixtures.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { type PageClient, pageText } from '../support/page-client.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

const OTHER_PASSWORD = 'Other-Tenant-Admin-Passphrase-5'
const READER_PASSWORD = 'reader-console-passphrase-8'
const suite = { timeout: 300_000 }

/** The user names in the page's members table, in order. */
function memberNames(html: string): string[] {
  const table = /<div class="table-wrap role-members">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? ''
  return [...table.matchAll(/<th scope="row"><a href="[^"]+">([^<]+)<\/a><\/th>/g)].map((match) => match[1]!)
}

/** The permissions ticked in the page's role form. */
function ticked(html: string): string[] {
  return [...html.matchAll(/name="permissions" value="([^"]+)" checked/g)].map((match) => match[1]!)
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: console roles`, { skip: kind.skip, ...suite }, () => {
    let h: Harness
    let other: TenantRow

    async function user(name: string, roles: string[] = [], tenant: TenantRow = h.defaultTenant) {
      return (
        await h.container.users.create(
          tenant,
          { username: name, password: `${name}-pass-1`, roles },
          cliActor,
        )
      ).id
    }

    const admin = (page = '/console/roles'): Promise<PageClient> => consoleClientAt(h.app, page)

    const snapshot = () => snapshotStore(h.container.store.db)

    before(async () => {
      h = await openHarness(kind)
      await createAdministrator(h, {
        username: 'reader-1',
        password: READER_PASSWORD,
        role: 'reader',
        permissions: ['users:read'],
      })
      other = await createTenant(h, 'roles-other.example', OTHER_PASSWORD)
      await h.container.roles.create(other, 'elsewhere-only', ['login'], cliActor)
    })
    after(async () => h?.close())

    it('lists the roles with their permissions and member counts', async () => {
      await h.container.roles.create(h.defaultTenant, 'list-staff', ['login'], cliActor)
      for (const name of ['list-a', 'list-b', 'list-c']) await user(name, ['list-staff'])
      const client = await consoleClient(h.app)
      const page = await client.get('/console/roles')
      assert.equal(page.status, 200)
      assert.match(page.body, /<a href="\/console\/roles" aria-current="page">/)
      assert.match(page.body, /<a class="button" href="\/console\/roles\/new">New role<\/a>/)
      const row = (name: string) =>
        pageText(
          new RegExp(`<tr>\\s*<th scope="row"><a href="/console/roles/${name}">[\\s\\S]*?</tr>`).exec(
            page.body,
          )?.[0] ?? '',
        )
      assert.equal(
        row('admin'),
        'admin Built-in audit:read config:write login reset:force tenants:manage tokens:manage users:read users:write 1',
      )
      assert.equal(row('list-staff'), 'list-staff login 3')
      assert.match(
        page.body,
        /<span class="badge neutral" title="Sign in through the login API and pages">login<\/span>/,
      )
      assert.doesNotMatch(page.body, /elsewhere-only/)
    })

    it('creates a role from the form, each permission described, login among them', async () => {
      const client = await admin('/console/roles/new')
      const form = client.lastPage
      assert.match(form, /<label for="role-name">Name/)
      for (const [permission, description] of [
        ['login', 'Sign in through the login API and pages'],
        ['reset:force', 'Force password resets'],
        ['tenants:manage', 'Create, list and disable tenants'],
      ])
        assert.match(
          form,
          new RegExp(
            `name="permissions" value="${permission}"[\\s\\S]*?<label[^>]*>${permission}</label>\\s*<p class="hint"[^>]*>${description}`,
          ),
        )
      assert.deepEqual(ticked(form), ['login'])
      const created = await client.post('/console/roles/new', {
        name: '  Help desk ',
        permissions: 'users:read',
      })
      assert.equal(created.status, 303, created.body)
      assert.equal(created.location, '/console/roles/Help%20desk?done=role-created')
      const page = await client.follow(created)
      assert.equal(page.status, 200)
      assert.match(page.body, /data-field="role-name">Help desk</)
      assert.match(pageText(page.body), /The role was created/)
      assert.deepEqual(ticked(page.body), ['users:read'])
      const role = await h.container.roles.summary(h.defaultTenant, 'help desk')
      assert.deepEqual(role.permissions, ['users:read'])

      // Several permissions, and none at all.
      const many = new URLSearchParams([
        ['name', 'Auditors'],
        ['permissions', 'login'],
        ['permissions', 'audit:read'],
      ])
      const answer = await h.app.inject({
        method: 'POST',
        url: '/console/roles/new',
        payload: `${many}&csrf=${encodeURIComponent(/name="csrf" value="([^"]+)"/.exec(page.body)![1]!)}`,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        },
      })
      assert.equal(answer.statusCode, 303, answer.body)
      assert.deepEqual((await h.container.roles.summary(h.defaultTenant, 'auditors')).permissions, [
        'audit:read',
        'login',
      ])
      const bare = await client.post('/console/roles/new', { name: 'Nothing yet' })
      assert.equal(bare.status, 303)
      assert.deepEqual((await h.container.roles.summary(h.defaultTenant, 'Nothing yet')).permissions, [])
    })

    it('refuses a taken or invalid name and unknown permissions on the form, and changes nothing', async () => {
      await h.container.roles.create(h.defaultTenant, 'Taken', ['login'], cliActor)
      const client = await admin('/console/roles/new')
      const before = await snapshot()
      const cases: Array<{ fields: Record<string, string>; status: number; field: string; error: RegExp }> = [
        {
          fields: { name: 'TAKEN', permissions: 'login' },
          status: 409,
          field: 'role-name',
          error: /Another role already has this name/,
        },
        {
          fields: { name: '', permissions: 'login' },
          status: 400,
          field: 'role-name',
          error: /Give the role a name of 1 to 128 characters/,
        },
        {
          fields: { name: 'a/b', permissions: 'login' },
          status: 400,
          field: 'role-name',
          error: /without “\/”/,
        },
        { fields: { name: 'x'.repeat(129) }, status: 400, field: 'role-name', error: /1 to 128 characters/ },
        {
          fields: { name: 'Crafted', permissions: 'root:everything' },
          status: 400,
          field: 'role-permissions',
          error: /Unknown permission: root:everything/,
        },
      ]
      for (const { fields, status, field, error } of cases) {
        const answer = await client.post('/console/roles/new', fields)
        assert.equal(answer.status, status, JSON.stringify(fields))
        assert.match(errorSummary(answer.body), error)
        assert.match(answer.body, new RegExp(`<a href="#${field}">`))
      }
      const typed = await client.post('/console/roles/new', { name: 'TAKEN', permissions: 'audit:read' })
      assert.match(typed.body, /id="role-name" name="name" type="text" value="TAKEN"[^>]*aria-invalid="true"/)
      assert.deepEqual(ticked(typed.body), ['audit:read'])
      assert.deepEqual(await snapshot(), before)
    })

    it('offers tenants:manage only in the default tenant, and refuses it elsewhere', async () => {
      const client = await consoleClient(h.app, { base: '/t/roles-other.example', password: OTHER_PASSWORD })
      const form = await client.get('/t/roles-other.example/console/roles/new')
      assert.equal(form.status, 200)
      assert.doesNotMatch(form.body, /tenants:manage/)
      assert.match(form.body, /value="reset:force"/)
      const before = await snapshot()
      const crafted = await client.post('/t/roles-other.example/console/roles/new', {
        name: 'Escalate',
        permissions: 'tenants:manage',
      })
      assert.equal(crafted.status, 400)
      assert.match(errorSummary(crafted.body), /tenants:manage exists only in the default tenant/)
      assert.deepEqual(await snapshot(), before)
    })

    it('renames a role and replaces its permissions; the old name is then not found', async () => {
      await h.container.roles.create(h.defaultTenant, 'Old name', ['login'], cliActor)
      await h.container.roles.create(h.defaultTenant, 'Occupied', [], cliActor)
      const client = await admin('/console/roles/old%20name')
      assert.match(client.lastPage, /<form class="panel" method="post" action="\/console\/roles\/Old%20name"/)
      const taken = await client.post('/console/roles/Old%20name', { name: 'occupied', permissions: 'login' })
      assert.equal(taken.status, 409)
      assert.match(errorSummary(taken.body), /Another role already has this name/)
      const saved = await client.post('/console/roles/Old%20name', {
        name: 'New name',
        permissions: 'reset:force',
      })
      assert.equal(saved.status, 303, saved.body)
      assert.equal(saved.location, '/console/roles/New%20name?done=role-updated')
      const page = await client.follow(saved)
      assert.deepEqual(ticked(page.body), ['reset:force'])
      assert.match(pageText(page.body), /The role was saved/)
      assert.equal((await client.get('/console/roles/Old%20name')).status, 404)
      // Permissions only: the name stays.
      const same = await client.post('/console/roles/New%20name', { name: 'New name' })
      assert.equal(same.status, 303)
      assert.deepEqual((await h.container.roles.summary(h.defaultTenant, 'New name')).permissions, [])
    })

    it('shows the built-in admin role’s rules as errors, not failures, and changes nothing', async () => {
      const client = await admin('/console/roles/admin')
      assert.match(pageText(client.lastPage), /The built-in admin role keeps its name and every permission/)
      assert.doesNotMatch(client.lastPage, /action="\/console\/roles\/admin"/)
      assert.doesNotMatch(client.lastPage, /Delete role…/)
      const before = await snapshot()
      const renamed = await client.post('/console/roles/admin', { name: 'root', permissions: 'login' })
      assert.equal(renamed.status, 409)
      assert.match(errorSummary(renamed.body), /built-in admin role keeps its name/)
      const confirm = await client.get('/console/roles/admin/delete')
      assert.equal(confirm.status, 200)
      assert.match(pageText(confirm.body), /cannot be deleted/)
      assert.doesNotMatch(confirm.body, /Delete the role<\/button>/)
      const deleted = await client.post('/console/roles/admin/delete', {})
      assert.equal(deleted.status, 409)
      assert.match(errorSummary(deleted.body), /cannot be deleted/)
      await client.get('/console/roles/admin')
      const adminId = (await h.container.users.require(h.defaultTenant, 'admin')).id
      const last = await client.post(`/console/roles/admin/members/${adminId}/remove`, {})
      assert.equal(last.status, 409)
      assert.match(errorSummary(last.body), /last member of the built-in admin role/)
      assert.deepEqual(await snapshot(), before)
    })

    it('adds users by name and removes members; unknown users are refused on the form', async () => {
      await h.container.roles.create(h.defaultTenant, 'Team', ['login'], cliActor)
      const ann = await user('team-ann')
      await user('team-bob')
      const outsider = await user('team-far', [], other)
      const client = await admin('/console/roles/team')
      assert.equal(memberNames(client.lastPage).length, 0)
      assert.match(pageText(client.lastPage), /No members\./)
      const added = await client.post('/console/roles/team/members', { user: 'TEAM-ANN' })
      assert.equal(added.status, 303)
      assert.equal(added.location, '/console/roles/Team?done=role-member-added')
      await client.post('/console/roles/team/members', { user: 'PRIMARY/team-bob' })
      const page = await client.get('/console/roles/team')
      assert.deepEqual(memberNames(page.body), ['team-ann', 'team-bob'])
      assert.match(page.body, /data-field="role-member-count">2</)
      assert.match(page.body, /aria-label="Remove team-ann from Team">Remove<\/button>/)

      const before = await snapshot()
      for (const [name, error] of [
        ['nobody-here', /No user of this organisation has this user name/],
        ['team-far', /No user of this organisation has this user name/],
        [outsider, /No user of this organisation has this user name/],
        ['  ', /Enter the user name/],
      ] as const) {
        const refused = await client.post('/console/roles/team/members', { user: name })
        assert.equal(refused.status, 400, name)
        assert.match(errorSummary(refused.body), error)
        assert.match(refused.body, /<a href="#role-member">/)
        assert.match(refused.body, /id="role-member"[^>]*aria-invalid="true"/)
      }
      // A user of another tenant, named by id in a crafted removal: not found here.
      const foreign = await client.post(`/console/roles/team/members/${outsider}/remove`, {})
      assert.equal(foreign.status, 404)
      assert.deepEqual(await snapshot(), before)

      const removed = await client.post(`/console/roles/team/members/${ann}/remove`, {})
      assert.equal(removed.status, 303)
      assert.equal(removed.location, '/console/roles/Team?done=role-member-removed')
      assert.deepEqual(memberNames((await client.follow(removed)).body), ['team-bob'])
      const again = await client.post(`/console/roles/team/members/${ann}/remove`, {})
      assert.equal(again.status, 404)
      assert.match(errorSummary(again.body), /not a member of this role/)
    })

    it('pages the members in user-name order, for a small role and one held by thousands', async () => {
      await h.container.roles.create(h.defaultTenant, 'Small', ['login'], cliActor)
      for (let i = 1; i <= 55; i++) await user(`small-${String(i).padStart(3, '0')}`, ['Small'])
      const client = await admin('/console/roles/small')
      assert.equal(memberNames(client.lastPage).length, 50)
      assert.equal(memberNames(client.lastPage)[0], 'small-001')
      assert.match(
        client.lastPage,
        /<a class="button secondary small" href="\/console\/roles\/Small\?page=2" rel="next">/,
      )
      const second = await client.get('/console/roles/Small?page=2')
      assert.deepEqual(memberNames(second.body), [
        'small-051',
        'small-052',
        'small-053',
        'small-054',
        'small-055',
      ])
      assert.match(pageText(second.body), /Showing 51 – 55 of 55/)
      assert.doesNotMatch(second.body, /rel="next"/)
      assert.equal((await client.get('/console/roles/Small?page=abc')).status, 400)

      // A role of thousands walks the tenant's name index; its order is the same.
      const role = await h.container.roles.create(h.defaultTenant, 'Everyone', ['login'], cliActor)
      const roleRow = await h.container.roles.require(h.defaultTenant, role.name)
      const db = h.container.store.db
      const now = Date.now()
      const rows = Array.from({ length: 5020 }, (_, i) => {
        const username = `bulk-${String(5020 - i).padStart(5, '0')}`
        return {
          id: randomUUID(),
          tenant_id: h.defaultTenant.id,
          store_domain: 'PRIMARY',
          username,
          username_key: userNameKey(username),
          status: 'active' as const,
          lock_reason: null,
          created_at: now,
          updated_at: now,
          version: 1,
        }
      })
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500)
        await db.insertInto('users').values(chunk).execute()
        await db
          .insertInto('user_roles')
          .values(
            chunk.map((row) => ({
              user_id: row.id,
              role_id: roleRow.id,
              tenant_id: h.defaultTenant.id,
              assigned_at: now,
            })),
          )
          .execute()
      }
      const first = await client.get('/console/roles/Everyone')
      assert.equal(first.status, 200)
      assert.match(first.body, /data-field="role-member-count">5020</)
      assert.deepEqual(memberNames(first.body).slice(0, 3), ['bulk-00001', 'bulk-00002', 'bulk-00003'])
      const last = await client.get('/console/roles/Everyone?page=101')
      assert.deepEqual(
        memberNames(last.body),
        Array.from({ length: 20 }, (_, i) => `bulk-${String(5001 + i).padStart(5, '0')}`),
      )
      const list = await client.get('/console/roles')
      assert.match(pageText(list.body), /Everyone login 5020/)
    })

    it('deletes a role after a confirmation page that says what its members lose', async () => {
      await h.container.roles.create(h.defaultTenant, 'Doomed', ['login', 'audit:read'], cliActor)
      await user('doomed-1', ['Doomed'])
      const client = await admin('/console/roles/doomed')
      assert.match(
        client.lastPage,
        /<a class="button danger" href="\/console\/roles\/Doomed\/delete">Delete role…<\/a>/,
      )
      const confirm = await client.get('/console/roles/Doomed/delete')
      assert.equal(confirm.status, 200)
      const text = pageText(confirm.body)
      assert.match(text, /Delete role Doomed\?/)
      assert.match(
        text,
        /Its 1 member loses the permissions it grants: audit:read : Read the audit log login : Sign in/,
      )
      assert.match(text, /members without another role that grants it can no longer sign in/)
      const deleted = await client.post('/console/roles/Doomed/delete', {})
      assert.equal(deleted.status, 303)
      assert.equal(deleted.location, '/console/roles?done=role-deleted')
      const list = await client.follow(deleted)
      assert.match(pageText(list.body), /The role was deleted/)
      assert.doesNotMatch(list.body, /Doomed/)
      assert.equal((await client.get('/console/roles/Doomed')).status, 404)
      assert.equal((await client.get('/console/roles/Doomed/delete')).status, 404)
    })

    it('reaches a role named “new” despite the new-role form’s address', async () => {
      const client = await admin('/console/roles/new')
      const created = await client.post('/console/roles/new', { name: 'new', permissions: 'login' })
      assert.equal(created.status, 303)
      assert.equal(created.location, '/console/roles/New?done=role-created')
      const page = await client.follow(created)
      assert.match(page.body, /data-field="role-name">new</)
      assert.match((await client.get('/console/roles')).body, /<a href="\/console\/roles\/New">new<\/a>/)
    })

    it('refuses forms without their CSRF token (403) and changes nothing', async () => {
      await h.container.roles.create(h.defaultTenant, 'Guarded', ['login'], cliActor)
      const member = await user('guarded-1', ['Guarded'])
      await user('guarded-2')
      const client = await admin('/console/roles/guarded')
      const before = await snapshot()
      for (const [url, fields] of [
        ['/console/roles/new', { name: 'Sneaky', permissions: 'login' }],
        ['/console/roles/Guarded', { name: 'Renamed', permissions: 'login' }],
        ['/console/roles/Guarded/members', { user: 'guarded-2' }],
        [`/console/roles/Guarded/members/${member}/remove`, {}],
        ['/console/roles/Guarded/delete', {}],
      ] as const) {
        const answer = await client.post(url, fields, { csrf: false })
        assert.equal(answer.status, 403, url)
        assert.match(pageText(answer.body), /This form has expired/)
        const forged = await client.post(url, fields, { csrf: 'forged-token' })
        assert.equal(forged.status, 403, url)
      }
      assert.deepEqual(await snapshot(), before)
    })

    it('lets users:read see roles without the forms, and refuses its crafted changes (403)', async () => {
      await h.container.roles.create(h.defaultTenant, 'Watched', ['login'], cliActor)
      const member = await user('watched-1', ['Watched'])
      await user('watched-2')
      const reader = await consoleClient(h.app, { username: 'reader-1', password: READER_PASSWORD })
      const list = await reader.get('/console/roles')
      assert.equal(list.status, 200)
      assert.doesNotMatch(list.body, /New role<\/a>/)
      const page = await reader.get('/console/roles/Watched')
      assert.equal(page.status, 200)
      assert.deepEqual(memberNames(page.body), ['watched-1'])
      assert.doesNotMatch(page.body, /<form class="panel" method="post"/)
      assert.doesNotMatch(page.body, /Add user|Remove<\/button>|Delete role…/)
      assert.equal((await reader.get('/console/roles/new')).status, 403)
      assert.equal((await reader.get('/console/roles/Watched/delete')).status, 403)
      const before = await snapshot()
      for (const [url, fields] of [
        ['/console/roles/new', { name: 'Sneaky', permissions: 'users:write' }],
        ['/console/roles/Watched', { name: 'Watched', permissions: 'users:write' }],
        ['/console/roles/reader/members', { user: 'watched-2' }],
        [`/console/roles/Watched/members/${member}/remove`, {}],
        ['/console/roles/Watched/delete', {}],
      ] as const) {
        const answer = await reader.post(url, fields)
        assert.equal(answer.status, 403, url)
        assert.match(pageText(answer.body), /This needs the users:write permission/)
      }
      assert.deepEqual(await snapshot(), before)
    })

    it('does not find another tenant’s role (404), for reading or changing', async () => {
      const foreigner = await user('far-user', ['elsewhere-only'], other)
      const client = await admin()
      const before = await snapshot()
      for (const url of ['/console/roles/elsewhere-only', '/console/roles/elsewhere-only/delete']) {
        const page = await client.get(url)
        assert.equal(page.status, 404, url)
        assert.match(pageText(page.body), /Role elsewhere-only does not exist/)
      }
      await client.get('/console/roles')
      for (const [url, fields] of [
        ['/console/roles/elsewhere-only', { name: 'Taken over', permissions: 'login' }],
        ['/console/roles/elsewhere-only/members', { user: 'admin' }],
        [`/console/roles/elsewhere-only/members/${foreigner}/remove`, {}],
        ['/console/roles/elsewhere-only/delete', {}],
      ] as const) {
        const answer = await client.post(url, fields)
        assert.equal(answer.status, 404, url)
      }
      assert.deepEqual(await snapshot(), before)
    })
  })
}
