/** Notices the settings pages may ask for after a redirect (`?done=…`), by name. */
export const settingsNotices: Readonly<Record<string, string>> = {
  'settings-unchanged': 'Nothing was changed: the form held the values already in force.',
  'settings-reset-saved': 'The password reset settings were saved. They apply to resets forced from now on.',
  'settings-reset-defaults': 'Every password reset setting follows the server configuration again.',
  'settings-policy-saved': 'The password policy was saved. It applies to every new password from now on.',
  'settings-policy-defaults': 'Every password policy rule follows the server configuration again.',
  'settings-selfservice-saved': 'The self-service reset settings were saved.',
  'settings-selfservice-defaults': 'The self-service reset settings follow the server configuration again.',
  'settings-question-added': 'The security question was added.',
  'settings-question-saved': 'The security question was saved.',
  'settings-question-removed':
    'The security question was removed. Answers to it stop counting; they count again if a question with the same id returns.',
  'settings-questions-defaults': 'This organisation uses the built-in security questions again.',
}
