/** Notices the roles pages may ask for after a redirect (`?done=…`), by name. */
export const rolesNotices: Readonly<Record<string, string>> = {}
