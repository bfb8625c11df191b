/** Notices the users pages may ask for after a redirect (`?done=…`), by name. */
export const usersNotices: Readonly<Record<string, string>> = {}
