import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ScimError } from '../../src/scim/errors.ts'
import { storeOnVersion, VersionConflict } from '../../src/scim/versioned-write.ts'

describe('a write stored on the version it was computed from', () => {
  it('is recomputed on fresh state after a conflict, so no update is lost', async () => {
    let version = 1
    let stores = 0
    const result = await storeOnVersion(
      undefined,
      async () => ({ version }),
      async (current) => {
        stores++
        // Another writer lands between the first read and its store.
        if (stores === 1) {
          version++
          throw new VersionConflict()
        }
        return current.version
      },
    )
    assert.equal(result, 2)
    assert.equal(stores, 2)
  })

  it('answers 412 at once when If-Match pinned the version that moved', async () => {
    await assert.rejects(
      storeOnVersion(
        { any: false, versions: new Set([1]) },
        async () => ({ version: 1 }),
        async () => {
          throw new VersionConflict()
        },
      ),
      (error: unknown) => error instanceof ScimError && error.status === 412,
    )
  })

  it('gives up under endless contention with 503 and Retry-After, which clients retry, not 409', async () => {
    let stores = 0
    await assert.rejects(
      storeOnVersion(
        undefined,
        async () => ({ version: 1 }),
        async () => {
          stores++
          throw new VersionConflict()
        },
      ),
      (error: unknown) =>
        error instanceof ScimError &&
        error.status === 503 &&
        error.headers['retry-after'] === '1' &&
        !error.scimType,
    )
    assert.ok(stores > 1, 'it retried before giving up')
  })
})
