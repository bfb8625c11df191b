import { scimError } from '../errors.ts'
import { field } from '../field.ts'
import { resourceBody } from '../resource-body.ts'
import { GROUP_SCHEMA_URN } from '../schema/group.ts'

/** What a SCIM Group document asks for. */
export interface GroupInput {
  displayName: string
  /** The client's own identifier of the group; null: none. */
  externalId: string | null
  /** User ids, in order, without repeats. */
  members: string[]
}

const MAX_MEMBERS_PER_WRITE = 100_000

/** Reads a Group document (POST/PUT body, or a patched document). Unknown attributes are ignored. */
export function groupInputOf(document: unknown, options: { requireSchemas: boolean }): GroupInput {
  const body = resourceBody(document, GROUP_SCHEMA_URN, options)
  const displayName = field(body, 'displayname')
  if (typeof displayName !== 'string' || displayName.trim() === '')
    throw scimError.invalidValue('displayName is required and must be a non-empty string.')
  const externalId = field(body, 'externalid') ?? null
  if (externalId !== null && (typeof externalId !== 'string' || externalId.length > 255))
    throw scimError.invalidValue('externalId must be a string of at most 255 characters.')
  // PostgreSQL text cannot hold NUL; no client identifier has one.
  if (externalId?.includes('\u0000'))
    throw scimError.invalidValue('externalId must not contain NUL (\\u0000).')
  const rawMembers = field(body, 'members') ?? []
  const list = Array.isArray(rawMembers) ? rawMembers : [rawMembers]
  if (list.length > MAX_MEMBERS_PER_WRITE)
    throw scimError.invalidValue(`At most ${MAX_MEMBERS_PER_WRITE} members can be written at once.`)
  const members: string[] = []
  const seen = new Set<string>()
  for (const element of list) {
    if (typeof element !== 'object' || element === null || Array.isArray(element))
      throw scimError.invalidValue('Each member must be an object with a value (a user id).')
    const value = field(element as Record<string, unknown>, 'value')
    const type = field(element as Record<string, unknown>, 'type')
    if (typeof type === 'string' && type.toLowerCase() === 'group')
      throw scimError.invalidValue('Groups cannot contain groups here: members must be users.')
    if (typeof value !== 'string' || value === '')
      throw scimError.invalidValue('Each member needs a value: the id of a user.')
    // PostgreSQL text cannot hold NUL (the member look-up would fail as a 500); no id has one.
    if (value.includes('\u0000'))
      throw scimError.invalidValue('A member value must not contain NUL (\\u0000).')
    const id = value.toLowerCase()
    if (!seen.has(id)) {
      seen.add(id)
      members.push(id)
    }
  }
  return { displayName, externalId: externalId === '' ? null : externalId, members }
}
