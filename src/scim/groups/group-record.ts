import type { RoleRow } from '../../persistence/repositories/roles.ts'

/** What a SCIM Group (a Rekey role) is rendered from. */
export interface GroupRecord {
  row: RoleRow
  /** Undefined when the caller asked not to load members (`excludedAttributes=members`). */
  members: ReadonlyArray<{ id: string; display: string }> | undefined
}
