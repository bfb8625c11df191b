/** Notices the tenants pages may ask for after a redirect (`?done=…`), by name. */
export const tenantsNotices: Readonly<Record<string, string>> = {}
