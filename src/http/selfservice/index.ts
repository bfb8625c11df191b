import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { AppError } from '../../errors/app-error.ts'
import { MAX_TOKEN_LENGTH } from '../../flows/selfservice/flow-token.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { signInRateLimit } from '../sign-in-rate-limit.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { selfServiceErrorHandler } from './error-body.ts'

const SubmitQuery = Type.Object({ _action: Type.Optional(Type.String({ maxLength: 64 })) })

const SubmitBody = Type.Object(
  {
    input: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'What the current stage requires' }),
    ),
    token: Type.Optional(
      Type.String({ maxLength: MAX_TOKEN_LENGTH, description: 'The token of the previous answer' }),
    ),
  },
  { additionalProperties: false, description: 'One stage of a self-service password reset' },
)

const StageAnswer = Type.Object(
  {
    type: Type.String({
      description:
        'The stage: userQuery, emailValidation, kbaSecurityAnswerVerificationStage, resetStage, parameters',
    }),
    tag: Type.String({ description: '`initial`, `validateCode`, or `end` when the flow is complete' }),
    requirements: Type.Optional(Type.Unknown({ description: 'JSON Schema (draft-04) of the next input' })),
    token: Type.Optional(Type.String({ description: 'Send it with the next request' })),
    status: Type.Optional(Type.Object({ success: Type.Boolean() })),
    additions: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
)

const ErrorBody = Type.Object({
  code: Type.Integer(),
  reason: Type.String(),
  message: Type.String(),
  detail: Type.Object({ code: Type.String() }),
})

/** Paths of the staged API: Rekey's own, and the one existing clients already call. */
export const SELFSERVICE_PATHS = ['/api/selfservice/reset', '/openidm/selfservice/reset'] as const

/**
 * `POST …/selfservice/reset?_action=submitRequirements`: anonymous, one stage per request.
 * The `X-OpenIDM-Username`/`X-OpenIDM-Password: anonymous` headers some clients send are
 * accepted and ignored — they never authenticate anything here.
 */
export function selfServiceApi(container: Container): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.setErrorHandler(selfServiceErrorHandler)
    app.addHook('onRequest', tenantResolver(container.tenants))
    for (const path of SELFSERVICE_PATHS)
      app.post(
        path,
        {
          // Each request may cost a password hash (answers, the new password): the sign-in limit applies.
          config: signInRateLimit(container.config),
          schema: {
            tags: ['self-service'],
            summary: 'Submit the requirements of the current self-service reset stage',
            security: [],
            querystring: SubmitQuery,
            body: SubmitBody,
            response: { 200: StageAnswer, '4xx': ErrorBody },
          },
        },
        async (request) => {
          if (request.query._action !== 'submitRequirements')
            throw new AppError('request.invalid', {
              detail: 'Name the action: POST …/selfservice/reset?_action=submitRequirements.',
            })
          const body = request.body ?? {}
          return container.selfService.submit(
            tenantOf(request),
            { input: body.input ?? {}, token: body.token },
            { clientAddress: request.ip },
          )
        },
      )
  }
}
