/**
 * Schemas of console routes. The console is pages for people, not an API: its routes are left
 * out of the OpenAPI document (docs/console.md describes them) and must not be scripted against.
 * A querystring or params schema still validates what it declares.
 */
export function consolePage(summary: string, parts: { querystring?: object; params?: object } = {}) {
  return { hide: true, summary, ...parts }
}

/** A console form post (application/x-www-form-urlencoded with the page's CSRF token). */
export function consoleForm(summary: string, parts: { params?: object } = {}) {
  return { hide: true, summary, ...parts }
}
