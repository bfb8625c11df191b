/** Notices the bulk-reset pages may ask for after a redirect (`?done=…`), by name. */
export const bulkResetNotices: Readonly<Record<string, string>> = {
  'bulk-reset-started':
    'The job is under way. This page follows it; you can leave and come back at any time.',
  'bulk-reset-cancelled':
    'The job was cancelled. Users already reset stay reset; the others were left untouched.',
}
