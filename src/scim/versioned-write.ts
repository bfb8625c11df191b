import { scimError } from './errors.ts'
import { type Precondition, requireVersion } from './etag.ts'

/** Thrown by a store step when the stored version moved since the read. */
export class VersionConflict extends Error {}

/**
 * A change recomputed on fresh state this many times before the client is asked to retry. An
 * attempt fails only when another write landed since its read, so N concurrent writers of one
 * resource all succeed when N is at most this (5 made half of 10 parallel PATCHes fail).
 */
const MAX_ATTEMPTS = 20

/** A short random pause between attempts, so colliding writers stop retrying in lockstep. */
const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 5) * 4))

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
      // 503 with Retry-After, not 409: clients read 409 as a lasting conflict (RFC 7644 §3.12
      // ties it to uniqueness) and give up, where this one passes once the others are done.
      if (attempt >= MAX_ATTEMPTS)
        throw scimError.busy('The resource is being changed by many requests at once: retry after a second.')
      await pause(attempt)
    }
  }
}
