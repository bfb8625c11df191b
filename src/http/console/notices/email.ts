/** Notices the email pages may ask for after a redirect (`?done=…`), by name. */
export const emailNotices: Readonly<Record<string, string>> = {}
