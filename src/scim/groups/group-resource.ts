import { versionTag } from '../etag.ts'
import type { ScimResource } from '../projection.ts'
import { GROUP_SCHEMA_URN } from '../schema/group.ts'
import type { GroupRecord } from './group-record.ts'

const iso = (ms: number) => new Date(ms).toISOString()

export function renderGroup(record: GroupRecord, baseUrl: string): ScimResource {
  const { row, members } = record
  return {
    schemas: [GROUP_SCHEMA_URN],
    id: row.id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    displayName: row.name,
    ...(members && members.length > 0
      ? {
          members: members.map((member) => ({
            value: member.id,
            $ref: `${baseUrl}/Users/${member.id}`,
            display: member.display,
            type: 'User',
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: iso(row.created_at),
      lastModified: iso(row.updated_at),
      location: `${baseUrl}/Groups/${row.id}`,
      version: versionTag(row.version),
    },
  }
}
