/** Notices the roles pages may ask for after a redirect (`?done=…`), by name. */
export const rolesNotices: Readonly<Record<string, string>> = {
  'role-created': 'The role was created. Add its members below.',
  'role-updated': 'The role was saved. Its members have the new permissions from their next request.',
  'role-deleted': 'The role was deleted. Its members lost the permissions it granted.',
  'role-member-added': 'The user was added to the role.',
  'role-member-removed': 'The user was removed from the role.',
}
