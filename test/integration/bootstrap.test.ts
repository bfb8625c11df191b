import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { bootstrap } from '../../src/bootstrap.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { openStore } from '../../src/persistence/database.ts'
import { storeKinds, type TestStore } from '../support/stores.ts'

for (const kind of storeKinds) {
  describe(`${kind.kind}: first start`, { skip: kind.skip }, () => {
    let testStore: TestStore
    before(async () => {
      testStore = await kind.open({ REKEY_ADMIN_PASSWORD: '' })
    })
    after(async () => testStore?.dispose())

    it('survives several instances starting at once: one default tenant, one administrator, one printed password', async () => {
      const containers: Container[] = [
        buildContainer(testStore.config, { store: testStore.store, logger: createLogger('silent') }),
      ]
      // A second instance with its own connection to the same store.
      const searchPath =
        testStore.kind === 'postgres'
          ? await testStore.store.db
              .selectNoFrom((eb) => eb.fn<string>('current_schema').as('schema'))
              .executeTakeFirstOrThrow()
          : undefined
      const otherStore = openStore(testStore.config, searchPath ? { searchPath: searchPath.schema } : {})
      containers.push(buildContainer(testStore.config, { store: otherStore, logger: createLogger('silent') }))
      try {
        const results = await Promise.all(containers.map((container) => bootstrap(container)))
        const generated = results.map((result) => result.generatedAdminPassword).filter(Boolean)
        assert.equal(
          generated.length,
          1,
          `exactly one instance creates (and prints) the administrator: ${JSON.stringify(results)}`,
        )
        const tenants = await testStore.store.db.selectFrom('tenants').select('domain').execute()
        assert.deepEqual(tenants, [{ domain: 'carbon.super' }])
        const admins = await testStore.store.db.selectFrom('users').select('username').execute()
        assert.deepEqual(admins, [{ username: 'admin' }])
        const tenant = await containers[0]!.tenants.require('carbon.super')
        const session = await containers[1]!.login.login({
          tenant,
          username: 'admin',
          password: generated[0]!,
          client: { address: null, userAgent: null },
        })
        assert.ok(session.token)
        const again = await bootstrap(containers[0]!)
        assert.deepEqual([again.createdAdministrator, again.migrations], [false, []])
      } finally {
        await otherStore.close()
      }
    })
  })
}
