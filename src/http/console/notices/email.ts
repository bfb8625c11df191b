/** Notices the email pages may ask for after a redirect (`?done=…`), by name. */
export const emailNotices: Readonly<Record<string, string>> = {
  'email-template-saved': 'The template was saved. Messages queued from now on use it.',
  'email-template-reset': 'The template was reset to the default.',
  'email-template-removed':
    'The template was removed. No default ships in that language, so its mail now uses the template of the fallback language.',
  'email-default-locale-saved': 'The default language was saved.',
  'email-smtp-saved': 'The relay was saved. New mail of this organisation goes through it.',
  'email-smtp-removed': "This organisation's relay was removed. Its mail takes the server's route again.",
  'email-smtp-none': 'This organisation had no relay of its own: nothing was changed.',
  'email-message-resent': 'The message is queued again and will be delivered shortly.',
}
