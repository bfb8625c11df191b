import type { AppError } from '../../errors/app-error.ts'
import { promptMessageKeys } from '../../flows/reset-prompt/validation.ts'
import type { MessageKey, Translate } from './messages/catalogue.ts'

/** The form fields errors can point at; each is also the id of its input. */
export type FieldName =
  | 'username'
  | 'password'
  | 'currentPassword'
  | 'securityCurrentPassword'
  | 'newPassword'
  | 'confirmation'
  | 'code'
  | `securityQuestion${number}`
  | `securityAnswer${number}`

/** What a page shows about a refused form: a summary at the top, and a message by each field. */
export interface FormErrors {
  summary: Array<{ field?: FieldName; text: string }>
  fields: Partial<Record<FieldName, string>>
}

export const noErrors: FormErrors = Object.freeze({ summary: [], fields: {} })

export function fieldError(field: FieldName, text: string): FormErrors {
  return { summary: [{ field, text }], fields: { [field]: text } }
}

export function formError(text: string): FormErrors {
  return { summary: [{ text }], fields: {} }
}

/**
 * A refused new password, worded for the page: the prompt's message keys for an empty,
 * mismatched or weak password, and each broken policy rule by the new-password field.
 * Undefined for errors that are not about the typed passwords.
 */
export function passwordFormErrors(error: AppError, t: Translate): FormErrors | undefined {
  switch (error.code) {
    case 'password.required':
      return fieldError('newPassword', t(promptMessageKeys.required))
    case 'password.mismatch':
      return fieldError('confirmation', t(promptMessageKeys.mismatch))
    case 'password.current-incorrect':
      return fieldError('currentPassword', t('error.password.current-incorrect'))
    case 'password.weak': {
      const rules = (error.details.errors ?? []).map((problem) =>
        t('error.password.violation', { message: problem.message }),
      )
      const lead = t(promptMessageKeys.weak satisfies MessageKey)
      return {
        summary: [
          { field: 'newPassword', text: lead },
          ...rules.map((text) => ({ field: 'newPassword' as const, text })),
        ],
        fields: { newPassword: [lead, ...rules].join(' ') },
      }
    }
    default:
      return undefined
  }
}
