import { scimError } from './errors.ts'

/** The weak entity tag of a resource version; `meta.version` carries the same text. */
export function versionTag(version: number): string {
  return `W/"${version}"`
}

/** `If-Match` / `If-None-Match`: `*` or a list of entity tags (weak or strong, compared weakly). */
export interface Precondition {
  any: boolean
  versions: ReadonlySet<number>
}

/** Reads an If-Match or If-None-Match header; tags that are not Rekey versions match nothing. */
export function parsePrecondition(header: string | string[] | undefined): Precondition | undefined {
  if (header === undefined) return undefined
  const text = Array.isArray(header) ? header.join(',') : header
  if (text.trim() === '*') return { any: true, versions: new Set() }
  const versions = new Set<number>()
  for (const part of text.split(',')) {
    const tag = part.trim()
    if (tag === '') continue
    const match = /^(?:W\/)?"([^"]*)"$/.exec(tag)
    if (!match)
      throw scimError.invalidVersion(`${tag} is not an entity tag: send the ETag as returned, e.g. W/"3".`)
    if (/^\d{1,15}$/.test(match[1]!)) versions.add(Number(match[1]))
  }
  return { any: false, versions }
}

export function matchesVersion(precondition: Precondition, version: number): boolean {
  return precondition.any || precondition.versions.has(version)
}

/** Throws 412 unless the stored version satisfies If-Match. */
export function requireVersion(ifMatch: Precondition | undefined, version: number): void {
  if (ifMatch && !matchesVersion(ifMatch, version))
    throw scimError.preconditionFailed(
      `The resource is at version ${versionTag(version)}, not the one If-Match names: read it again and retry.`,
    )
}
