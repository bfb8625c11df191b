import type { FastifyInstance } from 'fastify'
import type { Container } from '../../container.ts'
import { BulkProcessor } from '../../scim/bulk/bulk-processor.ts'
import { bulkRequestOf } from '../../scim/bulk/bulk-request.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { asScimError } from './error-handler.ts'
import { scimBaseUrl, sendScim } from './replies.ts'

/** POST /Bulk: its body limit is the advertised maxPayloadSize (larger bodies get 413). */
export function bulkRoutes(container: Container) {
  const { config, scimUsers, scimGroups } = container
  return async (app: FastifyInstance) => {
    app.post(
      '/Bulk',
      {
        config: { permission: 'users:write' },
        bodyLimit: config.scim.bulk_max_payload_bytes,
        schema: { hide: true },
      },
      async (request, reply) => {
        const bulk = bulkRequestOf(request.body, config.scim.bulk_max_operations)
        const processor = new BulkProcessor(scimUsers, scimGroups, asScimError, (error) =>
          request.log.error({ err: error }, 'SCIM bulk operation failed'),
        )
        const response = await processor.run(
          tenantOf(request),
          principalOf(request),
          bulk,
          scimBaseUrl(config, request),
        )
        return sendScim(reply, 200, response)
      },
    )
  }
}
