import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

const stylesheet = readFileSync(new URL('./assets/rekey.css', import.meta.url))
const version = createHash('sha256').update(stylesheet).digest('hex').slice(0, 12)

/** The stylesheet's URL names its content, so a new version is a new URL and the old may be cached for good. */
export const stylesheetUrl = `/assets/rekey.${version}.css`

/**
 * The pages' one stylesheet, read once at start and served with a year-long immutable cache.
 * Other names under /assets/ are not found.
 */
export async function pageAssets(app: FastifyInstance): Promise<void> {
  app.get(
    stylesheetUrl,
    {
      schema: {
        tags: ['pages'],
        summary: 'Stylesheet of the end-user pages',
        response: { 200: { type: 'string' } },
      },
    },
    async (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type('text/css; charset=utf-8')
        .send(stylesheet),
  )
}
