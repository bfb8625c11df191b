/** Notices the users pages may ask for after a redirect (`?done=…`), by name. */
export const usersNotices: Readonly<Record<string, string>> = {
  'user-created': 'The user was created.',
  'user-claims-saved': 'The claims were saved.',
  'user-claims-unchanged': 'Nothing was changed: the claims were already as shown.',
  'user-role-added': 'The user was added to the role.',
  'user-role-removed': 'The user was removed from the role.',
  'user-reset-forced':
    'A password reset was forced: the account is locked until a new password is set, and the email with the link or code is queued.',
  'user-reset-forced-offline':
    'A password reset was forced: the account is locked until a new password is set. Reveal the one-time password below and hand it to the user.',
  'user-reset-cancelled': 'The pending password reset was cancelled: its link or code no longer works.',
  'user-reset-not-pending': 'No password reset was pending, so there was nothing to cancel.',
  'user-password-set': "The password was set and the user's sessions were ended.",
  'user-locked': 'The account was locked and its sessions were ended.',
  'user-unlocked': 'The account was unlocked.',
  'user-session-revoked': 'The session was ended.',
  'user-deleted': 'The user was deleted.',
}
