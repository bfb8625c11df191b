/** Notices the tenants pages may ask for after a redirect (`?done=…`), by name. */
export const tenantsNotices: Readonly<Record<string, string>> = {
  'tenant-created':
    'The tenant was created, with its administrator admin. Open its console to sign in there.',
  'tenant-disabled': 'The tenant was disabled: its users can no longer sign in.',
  'tenant-enabled': 'The tenant was enabled: its users can sign in again.',
}
