import assert from 'node:assert/strict'
import { before, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import { describeConsoleInBrowser, followNavLink, reviewPage, signInToConsole } from './console-support.ts'
import { mainText, withContext } from './support.ts'

/** Roles as an administrator manages them in a browser: create, edit, assign, remove, delete. */
describeConsoleInBrowser('console roles', (suite) => {
  before(async () => {
    const { container, defaultTenant } = suite.server.harness
    await container.roles.create(defaultTenant, 'staff', ['login'], cliActor)
    for (const name of ['alice', 'bruno'])
      await container.users.create(
        defaultTenant,
        { username: name, password: `${name}-password-1`, roles: ['staff'] },
        cliActor,
      )
  })

  it('creates a role, edits it, assigns and removes a member, and deletes it', {
    timeout: 180_000,
  }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await followNavLink(page, 'Console', 'Roles')
      assert.equal(new URL(page.url()).pathname, '/console/roles')
      assert.match(await mainText(page), /staff login 2/)
      await reviewPage(page, 'roles-list')

      await page.getByRole('link', { name: 'New role' }).click()
      await page.waitForLoadState('load')
      assert.ok(await page.getByLabel('login', { exact: true }).isChecked(), 'login is ticked by default')
      await reviewPage(page, 'roles-new')

      // A name with a slash: refused on the form, with what was ticked kept.
      await page.getByLabel('Name', { exact: true }).fill('help/desk')
      await page.getByLabel('users:read', { exact: true }).check()
      await page.getByRole('button', { name: 'Create the role' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /There is a problem Give the role a name/)
      assert.ok(await page.getByLabel('users:read', { exact: true }).isChecked())
      assert.equal(
        await page.getByRole('link', { name: /Give the role a name/ }).getAttribute('href'),
        '#role-name',
      )
      assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true')

      await page.getByLabel('Name', { exact: true }).fill('Help desk')
      await page.getByRole('button', { name: 'Create the role' }).click()
      await page.waitForLoadState('load')
      assert.equal(new URL(page.url()).pathname, '/console/roles/Help%20desk')
      assert.match(await mainText(page), /The role was created/)

      await page.getByLabel('User name').fill('alice')
      await page.getByRole('button', { name: 'Add user' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /The user was added to the role/)
      await page.getByLabel('User name').fill('nobody-by-that-name')
      await page.getByRole('button', { name: 'Add user' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /No user of this organisation has this user name/)
      await page.getByLabel('User name').fill('bruno')
      await page.getByRole('button', { name: 'Add user' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /Members \(2\)/)
      await reviewPage(page, 'roles-edit')

      await page.getByLabel('Name', { exact: true }).fill('Service desk')
      await page.getByLabel('reset:force', { exact: true }).check()
      await page.getByRole('button', { name: 'Save the role' }).click()
      await page.waitForLoadState('load')
      assert.equal(new URL(page.url()).pathname, '/console/roles/Service%20desk')
      assert.match(await mainText(page), /The role was saved/)
      assert.ok(await page.getByLabel('reset:force', { exact: true }).isChecked())

      await page.getByRole('button', { name: 'Remove alice from Service desk' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /The user was removed from the role/)
      assert.match(await mainText(page), /Members \(1\)/)

      await page.getByRole('link', { name: 'Delete role…' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /Its 1 member loses the permissions it grants/)
      await page.getByRole('button', { name: 'Delete the role' }).click()
      await page.waitForLoadState('load')
      assert.equal(new URL(page.url()).pathname, '/console/roles')
      const list = await mainText(page)
      assert.match(list, /The role was deleted/)
      assert.doesNotMatch(list, /Service desk/)
    })
    const { container, defaultTenant } = suite.server.harness
    assert.deepEqual(
      (await container.users.get(defaultTenant, 'bruno')).roles,
      ['staff'],
      'the deleted role is gone from its member',
    )
  })
})
