/** OpenAPI descriptions of the page routes: they answer HTML, and forms answer HTML or a redirect. */
const htmlPage = {
  description: 'An HTML page',
  content: { 'text/html': { schema: { type: 'string' } } },
}

const seeOther = { description: 'See Other: the next page', type: 'null' }

export function pageSchema(summary: string, querystring?: object) {
  return {
    tags: ['pages'],
    summary,
    ...(querystring ? { querystring } : {}),
    response: { 200: htmlPage, 303: seeOther },
  }
}

export function formSchema(summary: string) {
  return {
    tags: ['pages'],
    summary,
    description:
      'An HTML form post (application/x-www-form-urlencoded) from the page itself; it must carry the CSRF token of the page (field `csrf`) and come from the same origin.',
    response: { 200: htmlPage, 303: seeOther },
  }
}

/** Query parameters of GET pages; other parameters (link trackers add some) are ignored. */
export const noticeQuery = {
  type: 'object',
  properties: { m: { type: 'string', description: 'A notice to show: signed-out, password-changed, …' } },
}

export const resetQuery = {
  type: 'object',
  properties: { token: { type: 'string', description: 'The reset link token from the email' } },
}
