import { enForgotPassword } from './en-forgot-password.ts'

/**
 * The English catalogue of the end-user pages. Keys are stable: another locale is a file with
 * the same keys (its type, `Catalogue`, makes a missing key a compile error). `{name}` marks a
 * value filled in when rendering; every value is escaped by the template, never here.
 */
export const en = {
  ...enForgotPassword,
  'app.name': 'Rekey',
  'layout.skip-to-content': 'Skip to content',
  'layout.tenant': 'Organisation: {tenant}',
  'layout.error-summary': 'There is a problem',
  'layout.error-prefix': 'Error:',

  'login.title': 'Sign in',
  'login.intro': 'Sign in with your user name and password.',
  'login.username': 'User name',
  'login.username-hint': 'For an account in another user store, type DOMAIN/name.',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.otp-link': 'Received a one-time password?',
  'login.otp.title': 'Sign in with a one-time password',
  'login.otp.intro':
    'Type the one-time password you received by email or from your administrator. You will then choose a new password.',
  'login.otp.password': 'One-time password',
  'login.otp.back': 'Sign in with your password instead',
  'login.signed-out': 'You have signed out.',
  'login.password-changed': 'Your password has been changed. Sign in with the new password.',
  'login.session-ended': 'Your session has ended. Please sign in again.',

  'error.auth.failed': 'Login failed! Please recheck the username and password and try again.',
  'error.auth.login-not-permitted':
    'This account is not permitted to sign in here. Contact your administrator.',
  'error.reset.pending':
    'A password reset is pending for this account. Use the link or one-time password you were sent, or contact your administrator.',
  'error.reset.otp-invalid': 'The one-time password is not valid, has expired or was used too many times.',
  'error.rate-limited': 'Too many attempts. Wait a minute, then try again.',
  'error.field.username-required': 'Enter your user name.',
  'error.field.password-required': 'Enter your password.',

  'reset.title': 'Choose a new password',
  'reset.intro': 'Choose a new password for {user}.',
  'reset.new-password': 'New password',
  'reset.confirmation': 'Confirm the new password',
  'reset.submit': 'Set the new password',
  'reset.rules': 'Your new password:',
  'reset.rule.min-length': 'has at least {count} characters',
  'reset.rule.pattern': 'meets the rule: {description}',
  'reset.rule.user-name': 'does not contain your user name',
  'reset.rule.common-password': 'is not a common or easily guessed password',
  'reset.rule.history': 'differs from your recent passwords',
  'reset.done.title': 'Password changed',
  'reset.done.body': 'Your new password is set. Use it the next time you sign in.',
  'reset.done.sign-in': 'Sign in',
  'reset.link-invalid.title': 'This link cannot be used',
  'reset.link-invalid.body':
    'The password reset link is invalid or has expired. It may have been used already or replaced by a newer one. Ask your administrator for a new reset.',
  'reset.link-invalid.sign-in': 'Go to the sign-in page',

  'prompt.title': 'Set a new password',
  'prompt.intro.attribute': 'Your administrator asks you to choose a new password before you continue.',
  'prompt.intro.password-expired': 'Your password has expired. Choose a new password to continue.',
  'prompt.skip': 'Skip for now',
  'prompt.skip-hint': 'You can keep your current password this time.',

  'authentication-action.reset-password.validation.error.password.required': 'Enter a new password.',
  'authentication-action.reset-password.validation.error.password.mismatch':
    'The new password and its confirmation do not match.',
  'authentication-action.reset-password.validation.error.password.weak':
    'The new password is too weak. Choose a stronger password.',
  'error.password.violation': 'The password {message}.',
  'error.password.current-incorrect': 'The current password is not correct.',
  'error.reset.prompt-not-skippable': 'This password must be replaced now: it cannot be skipped.',

  'account.title': 'My account',
  'account.signed-in-as': 'Signed in as',
  'account.user-name': 'User name',
  'account.organisation': 'Organisation',
  'account.password-changed': 'Password last changed',
  'account.password-never': 'Never',
  'account.change.title': 'Change password',
  'account.change.current': 'Current password',
  'account.change.submit': 'Change password',
  'account.change.done': 'Your password has been changed. Your other sessions were signed out.',
  'account.prompt-done': 'Your new password is set.',
  'account.sign-out': 'Sign out',
  'account.security.title': 'Security questions',
  'account.security.intro':
    'If you forget your password, you can prove who you are by answering these questions. Choose {count} different questions and answer each one. Capitals and spaces do not matter.',
  'account.security.replace': 'Saving replaces all your earlier answers.',
  'account.security.status-none': 'You have not answered any security questions yet.',
  'account.security.status-some': 'You have answered {count} of the questions.',
  'account.security.question': 'Question {number}',
  'account.security.answer': 'Answer {number}',
  'account.security.current': 'Current password',
  'account.security.current-hint': 'Asked so that no one else using this device can change your answers.',
  'account.security.submit': 'Save security answers',
  'account.security.done': 'Your security answers have been saved.',
  'error.security.question-unknown': 'Choose a question from the list.',
  'error.security.question-repeated': 'Choose a different question: each question can be answered once.',
  'error.security.answer-empty': 'Enter an answer.',
  'error.security.answer-too-long': 'The answer must be at most {count} characters.',
  'error.security.too-few': 'Answer {count} different questions.',

  'form-expired.title': 'This form has expired',
  'form-expired.body':
    'For your security the form could not be accepted. Go back, reload the page and try again.',
  'form-expired.reload': 'Start again',
  'error.title': 'Something went wrong',
  'error.tenant-not-found': 'This organisation does not exist. Check the address.',
  'error.bad-request': 'The form could not be read. Go back and try again.',
  'error.unavailable': 'The service is temporarily unavailable. Try again in a few minutes.',
  'error.internal': 'An unexpected error occurred. Try again later.',
  'error.back': 'Back to the sign-in page',
} as const

export type MessageKey = keyof typeof en
