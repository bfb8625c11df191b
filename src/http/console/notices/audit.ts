/** Notices the audit pages may ask for after a redirect (`?done=…`), by name. */
export const auditNotices: Readonly<Record<string, string>> = {}
