import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { publicUrl } from '../../config/semantics.ts'
import type { Container } from '../../container.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'
import { AppError } from '../../errors/app-error.ts'
import {
  actionOperation,
  operationOf,
  parseEnvelope,
  type SoapVersion,
  soapContentType,
  versionOfContentType,
  writeEnvelope,
} from '../../soap/envelope.ts'
import { faultEnvelope } from '../../soap/fault.ts'
import { readProfileRequest, SERVICE_NAME } from '../../soap/profile-messages.ts'
import { serviceWsdl } from '../../soap/wsdl.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { toAppError } from '../problem.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { profileOperations } from './profile-operations.ts'

const SERVICE_PATH = `/services/${SERVICE_NAME}`
const xmlString = { schema: { type: 'string' } }
const envelopeContent = { 'text/xml': xmlString, 'application/soap+xml': xmlString }

/** Every error of this surface as a SOAP fault of the given version; the status is the error's. */
function sendFault(request: FastifyRequest, reply: FastifyReply, version: SoapVersion, thrown: unknown) {
  let error = toAppError(thrown)
  if (error.status >= 500) request.log.error({ err: thrown, code: error.code }, 'SOAP request failed')
  if (error.code === 'request.unsupported-media-type' && !error.details.detail)
    error = new AppError(error.code, {
      detail: 'Send text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2).',
    })
  const authorization = request.headers.authorization
  if (error.status === 401 && (authorization === undefined || /^basic /i.test(authorization)))
    reply.header('www-authenticate', 'Basic realm="Rekey", charset="UTF-8"')
  return reply.code(error.status).type(soapContentType[version]).send(faultEnvelope(version, error))
}

/**
 * `UserProfileMgtService`, the reference server's SOAP profile service, at
 * `/services/UserProfileMgtService` (and under `/t/{tenant}`): setUserProfile, getUserProfile
 * and getProfileFieldsForInternalStore in SOAP 1.1 and 1.2, authenticated like the admin API,
 * with its WSDL at `?wsdl`.
 */
export function soapApi(container: Container) {
  const run = profileOperations(container)
  return async (app: FastifyInstance) => {
    // XML bodies only, and only here. Neither type can be sent cross-site by a plain form,
    // so a hostile page cannot drive this service with credentials a browser remembers.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser(
      ['text/xml', 'application/soap+xml'],
      { parseAs: 'string' },
      (_request, body, done) => done(null, body),
    )
    app.setErrorHandler((error, request, reply) =>
      sendFault(request, reply, versionOfContentType(request.headers['content-type']), error),
    )
    app.addHook('onRequest', tenantResolver(container.tenants))

    app.get(
      SERVICE_PATH,
      {
        schema: {
          tags: ['soap'],
          summary: `The WSDL 1.1 description of ${SERVICE_NAME} (GET …?wsdl)`,
          querystring: {
            type: 'object',
            properties: { wsdl: { type: 'string', description: 'Present (empty) to ask for the WSDL' } },
          },
          response: { 200: { description: 'The WSDL document', content: { 'text/xml': xmlString } } },
        },
      },
      async (request, reply) => {
        const query = request.query as Record<string, unknown>
        if (!Object.keys(query).some((key) => key.toLowerCase() === 'wsdl'))
          throw new AppError('request.invalid', {
            detail: `Send SOAP requests with POST; the service description is at ${SERVICE_PATH}?wsdl.`,
          })
        const tenant = tenantOf(request)
        const prefix = tenant.domain === DEFAULT_TENANT ? '' : `/t/${tenant.domain}`
        const endpoint = `${publicUrl(container.config)}${prefix}${SERVICE_PATH}`
        return reply.type('text/xml; charset=utf-8').send(serviceWsdl(endpoint))
      },
    )

    app.post(
      SERVICE_PATH,
      {
        // Credentials are checked before the body is read: an unauthenticated caller never
        // gets its XML parsed.
        onRequest: async (request) => {
          request.principal = await container.adminAuth.authenticate(
            tenantOf(request),
            request.headers.authorization,
          )
        },
        schema: {
          tags: ['soap'],
          summary: `${SERVICE_NAME} (SOAP 1.1 or 1.2): setUserProfile, getUserProfile, getProfileFieldsForInternalStore`,
          description:
            'A SOAP envelope in, a SOAP envelope out (docs/soap.md). Errors are SOAP faults with the status of the error code.',
          response: { 200: { description: 'The operation’s response envelope', content: envelopeContent } },
        },
      },
      async (request, reply) => {
        let version = versionOfContentType(request.headers['content-type'])
        try {
          if (typeof request.body !== 'string' || request.body.trim() === '')
            throw new AppError('request.malformed-xml', {
              detail: 'The body is empty: send a SOAP envelope.',
            })
          const envelope = parseEnvelope(request.body)
          version = envelope.version
          const profileRequest = readProfileRequest(operationOf(envelope))
          const soapAction = request.headers.soapaction
          const action = actionOperation(
            version,
            Array.isArray(soapAction) ? soapAction[0] : soapAction,
            request.headers['content-type'],
          )
          if (action !== undefined && action !== profileRequest.operation)
            throw new AppError('request.invalid', {
              detail: `The SOAP action names ${action} but the body holds ${profileRequest.operation}.`,
            })
          const body = await run(tenantOf(request), principalOf(request), profileRequest)
          return reply.type(soapContentType[version]).send(writeEnvelope(version, body))
        } catch (error) {
          return sendFault(request, reply, version, error)
        }
      },
    )
  }
}
