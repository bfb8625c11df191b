import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

interface Stylesheet {
  url: string
  content: Buffer
  summary: string
}

/** A stylesheet read once at start; its URL names its content, so a new version is a new URL and the old may be cached for good. */
function stylesheet(name: string, path: URL, summary: string): Stylesheet {
  const content = readFileSync(path)
  const version = createHash('sha256').update(content).digest('hex').slice(0, 12)
  return { url: `/assets/${name}.${version}.css`, content, summary }
}

const pagesSheet = stylesheet(
  'rekey',
  new URL('./assets/rekey.css', import.meta.url),
  'Stylesheet of the end-user pages',
)
const consoleSheet = stylesheet(
  'console',
  new URL('../console/assets/console.css', import.meta.url),
  'Stylesheet of the admin console (loaded after the pages’ one)',
)

export const stylesheetUrl = pagesSheet.url
export const consoleStylesheetUrl = consoleSheet.url

/**
 * The pages' stylesheets, served with a year-long immutable cache. Other names under /assets/
 * are not found.
 */
export async function pageAssets(app: FastifyInstance): Promise<void> {
  for (const sheet of [pagesSheet, consoleSheet])
    app.get(
      sheet.url,
      { schema: { tags: ['pages'], summary: sheet.summary, response: { 200: { type: 'string' } } } },
      async (_request, reply) =>
        reply
          .header('cache-control', 'public, max-age=31536000, immutable')
          .type('text/css; charset=utf-8')
          .send(sheet.content),
    )
}
