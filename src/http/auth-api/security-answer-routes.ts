import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { AppError } from '../../errors/app-error.ts'
import { questionText } from '../../flows/security-questions/question-list.ts'
import { rankedLocaleTags } from '../accept-language.ts'
import { signInRateLimit } from '../sign-in-rate-limit.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { cookieWritesAreJsonOnly } from './json-only.ts'
import { requireSession } from './routes.ts'

// Generous caps against oversized work; the service refuses an answer of more than 200
// characters, an unknown question or a repeated one with `security-answers.invalid`.
const AnswersBody = Type.Object(
  {
    currentPassword: Type.String({
      maxLength: 4096,
      description:
        "The user's password: an open session alone does not let anyone set answers a reset accepts instead of it",
    }),
    answers: Type.Array(
      Type.Object(
        {
          questionId: Type.String({ maxLength: 256 }),
          answer: Type.String({
            maxLength: 1024,
            description: 'Compared without regard to case and spaces; at most 200 characters',
          }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 50 },
    ),
  },
  { additionalProperties: false },
)

const QuestionsView = Type.Object({
  questions: Type.Array(
    Type.Object({
      id: Type.String(),
      text: Type.String({
        description: "In the caller's language (Accept-Language) where the tenant has it",
      }),
      answered: Type.Boolean(),
    }),
  ),
  answersRequired: Type.Integer({ description: 'Questions to answer when setting the answers' }),
})

/**
 * A signed-in user's own security questions: which the tenant asks and which the user has
 * answered, and setting the answers. Authenticated as the other account calls are: the
 * session as a bearer value or the cookie (then writes must be JSON).
 */
export function securityAnswerApi(container: Container): FastifyPluginAsyncTypebox {
  const { tenants, users, config, securityQuestions, account } = container
  return async (app) => {
    app.addHook('onRequest', tenantResolver(tenants))
    app.addHook('onRequest', cookieWritesAreJsonOnly)

    async function currentUser(request: FastifyRequest) {
      const { tenant, session } = await requireSession(request, container)
      const user = await users.find(tenant, session.user_id)
      if (user?.id !== session.user_id || user.status !== 'active') throw new AppError('auth.required')
      return { tenant, user }
    }

    app.get(
      '/account/security-questions',
      {
        schema: {
          tags: ['auth'],
          summary:
            "The tenant's security questions in the caller's language, and which of them the signed-in user has answered",
          response: { 200: QuestionsView },
        },
      },
      async (request) => {
        const { tenant, user } = await currentUser(request)
        const locales = rankedLocaleTags(request.headers['accept-language'])
        const [questions, answered] = await Promise.all([
          securityQuestions.questions(tenant),
          securityQuestions.answeredQuestionIds(tenant.id, user.id),
        ])
        const done = new Set(answered)
        return {
          questions: questions.map((question) => ({
            id: question.id,
            text: questionText(question, locales),
            answered: done.has(question.id),
          })),
          answersRequired: securityQuestions.minimumAnswers(),
        }
      },
    )

    app.put(
      '/account/security-answers',
      {
        // The current password is verified and every answer hashed like a password: limited like
        // sign-in against guessing with a stolen session and against spending the hashing threads.
        config: signInRateLimit(config),
        schema: {
          tags: ['auth'],
          summary:
            "Replace the signed-in user's security answers (at least as many questions as the tenant requires); the current password is required",
          body: AnswersBody,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const { tenant, user } = await currentUser(request)
        // Before the answers are hashed: a wrong password costs one verification and stores nothing.
        await account.confirmCurrentPassword(tenant, user, request.body.currentPassword)
        await securityQuestions.setAnswers(tenant, user.id, request.body.answers, {
          kind: 'user',
          id: user.id,
          name: displayUserName(user.store_domain, user.username),
        })
        return reply.code(204).send(null)
      },
    )
  }
}
