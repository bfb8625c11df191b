import type { AppError } from '../../errors/app-error.ts'

/** What a console page shows about a refused form: a summary at the top, a message by each field. */
export interface ConsoleErrors {
  summary: Array<{ field?: string; text: string }>
  fields: Record<string, string>
}

export const noConsoleErrors: ConsoleErrors = Object.freeze({ summary: [], fields: Object.freeze({}) })

export function consoleFieldError(field: string, text: string): ConsoleErrors {
  return { summary: [{ field, text }], fields: { [field]: text } }
}

export function consoleFormError(text: string): ConsoleErrors {
  return { summary: [{ text }], fields: {} }
}

/**
 * A use case's refusal worded for a form. Each field-level problem the use case reported
 * (a JSON pointer such as `/claims/x` or `/minLength`) is placed by the form field its
 * `fieldOf` names, or in the summary alone; the error's own sentence leads when no problem
 * explains it. Only 4xx errors are forms' business: others are rethrown by the caller.
 */
export function consoleErrorsOf(
  error: AppError,
  fieldOf: (pointer: string) => string | undefined = () => undefined,
): ConsoleErrors {
  const errors: ConsoleErrors = { summary: [], fields: {} }
  for (const problem of error.details.errors ?? []) {
    const field = fieldOf(problem.pointer)
    errors.summary.push(field ? { field, text: problem.message } : { text: problem.message })
    if (field)
      errors.fields[field] = errors.fields[field]
        ? `${errors.fields[field]} ${problem.message}`
        : problem.message
  }
  if (errors.summary.length === 0) errors.summary.push({ text: error.details.detail ?? error.title })
  else if (error.details.detail && error.details.detail !== error.title)
    errors.summary.unshift({ text: error.details.detail })
  return errors
}
