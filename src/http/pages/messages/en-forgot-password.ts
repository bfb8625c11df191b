/** The English messages of the "Forgot password?" pages (part of the `en` catalogue). */
export const enForgotPassword = {
  'forgot.link': 'Forgot password?',
  'forgot.back-to-sign-in': 'Back to sign in',
  'forgot.continue': 'Continue',

  'forgot.find.title': 'Find your account',
  'forgot.find.intro':
    'Type the user name or the email address of your account. We will email a code to the address on the account.',
  'forgot.find.account': 'User name or email address',
  'forgot.find.account-hint': 'For an account in another user store, type DOMAIN/name.',
  'forgot.find.account-required': 'Enter your user name or email address.',
  'forgot.find.account-invalid':
    'This cannot be looked up as a user name or email address. Check what you typed.',

  'forgot.code.title': 'Check your email',
  'forgot.code.intro':
    'We sent a code to the address on the account if it exists. Type the code, or open the link in the email, to continue.',
  'forgot.code.label': 'Code from the email',
  'forgot.code.hint': 'Capitals, spaces and dashes do not matter.',
  'forgot.code.required': 'Enter the code from the email.',
  'forgot.code.not-received':
    'No email? Check your spam folder, wait a few minutes, or start again and check the user name or address you typed.',

  'forgot.questions.title': 'Answer your security questions',
  'forgot.questions.intro':
    'Answer the questions you chose for your account. Capitals and spaces do not matter.',
  'forgot.questions.fallback': 'Question {number}',
  'forgot.questions.answer-required': 'Enter an answer.',

  'forgot.new.title': 'Choose a new password',
  'forgot.new.intro': 'Choose the new password of your account.',

  'forgot.done': 'Your password has been reset. Sign in with your new password.',

  'forgot.expired.title': 'This reset has expired',
  'forgot.expired.body':
    'Your reset link or session has expired, was already used, or has no attempts left. Start again to receive a new code.',
  'forgot.start-again': 'Start again',

  'forgot.rate-limited.title': 'Too many attempts',
  'forgot.rate-limited.body': 'Too many wrong codes or answers. Wait an hour, then start again.',
} as const
