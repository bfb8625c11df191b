/**
 * The catalog of stable error codes. A code, once published, is never renamed: clients and
 * operators' scripts match on it. `docs/errors.md` lists the same table.
 */
export const errorCatalog = {
  'request.invalid': { status: 400, title: 'The request is not valid' },
  'request.malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  'request.too-large': { status: 413, title: 'The request body is too large' },
  'request.unsupported-media-type': { status: 415, title: 'The request content type is not supported' },
  'route.not-found': { status: 404, title: 'No such resource' },
  'auth.required': { status: 401, title: 'Authentication is required' },
  'auth.failed': {
    status: 401,
    title: 'Login failed! Please recheck the username and password and try again.',
  },
  'auth.login-not-permitted': { status: 403, title: 'This account is not permitted to sign in' },
  'auth.forbidden': { status: 403, title: 'The credentials do not grant this permission' },
  'auth.rate-limited': { status: 429, title: 'Too many requests' },
  'tenant.not-found': { status: 404, title: 'No such tenant' },
  'tenant.exists': { status: 409, title: 'A tenant with this domain already exists' },
  'tenant.default-immutable': { status: 409, title: 'The default tenant cannot be disabled' },
  'user.not-found': { status: 404, title: 'No such user' },
  'user.exists': { status: 409, title: 'A user with this user name already exists' },
  'user.invalid-name': { status: 400, title: 'The user name is not valid' },
  'user.self-delete': {
    status: 409,
    title: 'An administrator cannot delete the account it is signed in with',
  },
  'userstore.not-found': { status: 404, title: 'No such user store domain' },
  'userstore.exists': { status: 409, title: 'A user store domain with this name already exists' },
  'role.not-found': { status: 404, title: 'No such role' },
  'role.exists': { status: 409, title: 'A role with this name already exists' },
  'role.unknown-permission': { status: 400, title: 'Unknown permission' },
  'role.builtin': { status: 409, title: 'The built-in administrator role cannot be changed that way' },
  'role.last-administrator': {
    status: 409,
    title: 'The last member of the administrator role cannot be removed',
  },
  'role.invalid-name': { status: 400, title: 'The role name is not valid' },
  'tenant.invalid-domain': { status: 400, title: 'The tenant domain is not valid' },
  'userstore.invalid-name': { status: 400, title: 'The user store domain name is not valid' },
  'password.weak': { status: 400, title: 'The password does not meet the password policy' },
  'password.unsupported-hash': { status: 400, title: 'The imported password hash format is not supported' },
  'token.not-found': { status: 404, title: 'No such API token' },
  'token.scope-exceeds-grant': { status: 403, title: 'A token cannot carry permissions its creator lacks' },
  'session.not-found': { status: 404, title: 'No such session' },
  'template.not-found': { status: 404, title: 'No such email template' },
  'template.invalid': { status: 400, title: 'The email template is not valid' },
  'outbox.not-found': { status: 404, title: 'No such message' },
  'outbox.not-resendable': { status: 409, title: 'The message cannot be sent again' },
  'smtp.not-configured': { status: 409, title: 'No SMTP server is configured' },
  'smtp.invalid': { status: 400, title: 'The SMTP settings are not valid' },
  'smtp.tenant-relays-disabled': { status: 409, title: 'Tenant SMTP relays are turned off on this server' },
  'reset.no-email': { status: 409, title: 'The user has no email address for an emailed reset' },
  'store.unavailable': { status: 503, title: 'The store is not reachable' },
  'internal.error': { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof errorCatalog
