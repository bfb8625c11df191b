/** Notices the settings pages may ask for after a redirect (`?done=…`), by name. */
export const settingsNotices: Readonly<Record<string, string>> = {}
