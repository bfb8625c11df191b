import { AppError } from '../../errors/app-error.ts'

/**
 * The reference action's validation message keys. Every answer that refuses a password typed
 * at the prompt carries one as its `reason`, so clients and the pages' message catalogue can
 * show the text they prefer.
 */
export const promptMessageKeys = {
  required: 'authentication-action.reset-password.validation.error.password.required',
  mismatch: 'authentication-action.reset-password.validation.error.password.mismatch',
  weak: 'authentication-action.reset-password.validation.error.password.weak',
} as const

export interface NewPasswordInput {
  newPassword: string
  /** The password typed a second time; the pages always send it, API clients may leave it out. */
  confirmation?: string | undefined
}

/**
 * The checks that need no policy: a password is there, typed twice the same way, and matches
 * the prompt's own regular expression. The tenant password policy runs afterwards, in the
 * password writer.
 */
export function checkPromptPassword(input: NewPasswordInput, pattern: RegExp | undefined): void {
  if (input.newPassword === '')
    throw new AppError('password.required', {
      reason: promptMessageKeys.required,
      errors: [{ pointer: '/newPassword', message: 'is required' }],
    })
  if (input.confirmation !== undefined && input.confirmation !== input.newPassword)
    throw new AppError('password.mismatch', {
      reason: promptMessageKeys.mismatch,
      errors: [{ pointer: '/confirmation', message: 'does not match the new password' }],
    })
  if (pattern && !pattern.test(input.newPassword))
    throw new AppError('password.weak', {
      reason: promptMessageKeys.weak,
      detail: 'The password does not match the required pattern.',
      errors: [
        { pointer: '/newPassword', message: 'does not match the required pattern', rule: 'prompt-pattern' },
      ],
    })
}

/** A policy refusal from the password writer, marked with the prompt's message key. */
export function asPromptError(error: unknown): unknown {
  if (error instanceof AppError && error.code === 'password.weak' && !error.details.reason)
    return new AppError(
      'password.weak',
      { ...error.details, reason: promptMessageKeys.weak },
      { cause: error },
    )
  return error
}
