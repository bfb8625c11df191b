/** Notices the bulk-reset pages may ask for after a redirect (`?done=…`), by name. */
export const bulkResetNotices: Readonly<Record<string, string>> = {}
