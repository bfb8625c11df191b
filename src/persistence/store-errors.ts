/** Recognises a unique-constraint violation on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
])

/** True when an error means the store cannot be reached (as opposed to a bad query). */
export function isStoreUnavailable(error: unknown): boolean {
  const candidate = error as { code?: unknown; message?: unknown; errors?: unknown[] } | null
  if (!candidate) return false
  if (typeof candidate.code === 'string' && unavailableCodes.has(candidate.code)) return true
  if (Array.isArray(candidate.errors) && candidate.errors.some(isStoreUnavailable)) return true
  const message = typeof candidate.message === 'string' ? candidate.message : ''
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/.test(message)
}
