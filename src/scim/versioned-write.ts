import { ScimError, scimError } from './errors.ts'
import { type Precondition, requireVersion } from './etag.ts'

/** Thrown by a store step when the stored version moved since the read. */
export class VersionConflict extends Error {}

/** A change recomputed on fresh state this many times before the client is asked to retry. */
const MAX_ATTEMPTS = 5

/**
 * Read, compute what the resource should become, store it on the version it was computed
 * from. Another writer in between makes the store refuse (VersionConflict); the change is then
 * recomputed on fresh state, so no update is lost — or refused with 412 when If-Match pinned
 * the version the client saw.
 */
export async function storeOnVersion<Current extends { version: number }, Result>(
  ifMatch: Precondition | undefined,
  read: () => Promise<Current>,
  store: (current: Current) => Promise<Result>,
): Promise<Result> {
  for (let attempt = 1; ; attempt++) {
    const current = await read()
    requireVersion(ifMatch, current.version)
    try {
      return await store(current)
    } catch (error) {
      if (!(error instanceof VersionConflict)) throw error
      if (ifMatch && !ifMatch.any)
        throw scimError.preconditionFailed(
          'The resource changed while this request was applied: read it again and retry.',
        )
      if (attempt >= MAX_ATTEMPTS)
        throw new ScimError(undefined, 'The resource is being changed by other requests: retry.', 409)
    }
  }
}
