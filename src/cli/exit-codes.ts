import { ConfigError } from '../config/config-error.ts'
import { AppError } from '../errors/app-error.ts'
import { isStoreUnavailable } from '../persistence/store-errors.ts'

/** Documented exit codes (docs/cli.md); scripts branch on them. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  notFound: 4,
  conflict: 5,
  rejected: 6,
  storeUnavailable: 7,
} as const

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return ExitCode.config
  if (error instanceof AppError) {
    if (error.status === 404) return ExitCode.notFound
    if (error.status === 409) return ExitCode.conflict
    if (error.code === 'store.unavailable') return ExitCode.storeUnavailable
    if (error.status >= 400 && error.status < 500) return ExitCode.rejected
  }
  if (isStoreUnavailable(error)) return ExitCode.storeUnavailable
  return ExitCode.failure
}
