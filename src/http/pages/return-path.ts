/**
 * Where the sign-in page may send a browser after a full sign-in: a page of the admin console
 * in the same URL space, and nothing else. Threat: an open redirect — a link to our sign-in
 * page that, after a genuine sign-in, lands the user on a look-alike site or another tenant.
 * The path must start with `/console`, holds only unreserved and sub-delimiter characters (no
 * backslash, no scheme, no `//` authority can form because the tenant prefix is put before it),
 * and is bounded in length.
 */
const consolePath = /^\/console(?:[/?][A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$/

export function returnPath(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 512 && consolePath.test(value) ? value : undefined
}
