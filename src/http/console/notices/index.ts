import { auditNotices } from './audit.ts'
import { bulkResetNotices } from './bulk-reset.ts'
import { emailNotices } from './email.ts'
import { rolesNotices } from './roles.ts'
import { settingsNotices } from './settings.ts'
import { tenantsNotices } from './tenants.ts'
import { usersNotices } from './users.ts'

/**
 * Every notice a console redirect may ask a page to show (`?done=…`). Only these names are
 * read: a crafted link can never make a console page say arbitrary text (threat: a phishing
 * message shown inside the trusted console).
 */
const notices: Readonly<Record<string, string>> = {
  ...usersNotices,
  ...bulkResetNotices,
  ...rolesNotices,
  ...settingsNotices,
  ...emailNotices,
  ...auditNotices,
  ...tenantsNotices,
}

export function consoleNotice(query: unknown): string | undefined {
  const name = (query as { done?: unknown } | undefined)?.done
  return typeof name === 'string' && Object.hasOwn(notices, name) ? notices[name] : undefined
}
