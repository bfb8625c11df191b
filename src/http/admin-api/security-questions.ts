import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { questionListLimits } from '../../flows/security-questions/question-list.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { IdParam } from '../schemas.ts'

const QuestionSchema = Type.Object(
  {
    id: Type.String({
      description: `Stable id that answers refer to: ${questionListLimits.idPattern}`,
    }),
    text: Type.Record(Type.String(), Type.String(), {
      description: `The question by locale tag (en, fr, pt-BR), 1 to ${questionListLimits.maxTextLength} characters each; en is required`,
    }),
  },
  { additionalProperties: false, title: 'SecurityQuestion' },
)

// Ids, lengths, locales and the number of questions are checked by the service as a whole, so
// that one answer (`security-questions.invalid`) names every problem of the list.
const QuestionListBody = Type.Object(
  {
    questions: Type.Array(QuestionSchema, {
      description: `1 to ${questionListLimits.maxQuestions} questions with distinct ids; at least as many as users answer`,
    }),
  },
  { additionalProperties: false },
)

const QuestionListView = Type.Object({
  questions: Type.Array(QuestionSchema),
  isDefault: Type.Boolean({ description: 'True while the tenant uses the built-in list' }),
  answersRequired: Type.Integer({ description: 'Questions a user answers when setting them' }),
  questionsAsked: Type.Integer({ description: 'Questions a self-service reset asks' }),
})

const AnsweredView = Type.Object({
  answered: Type.Array(Type.String(), {
    description: "Ids of the tenant's current questions the user has answered (never the answers)",
  }),
  count: Type.Integer(),
})

/** A tenant's security questions, and users' answers as far as an administrator may see them. */
export function securityQuestionRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { securityQuestions, users } = container
  const viewOf = async (tenant: TenantRow) => ({
    ...(await securityQuestions.view(tenant)),
    answersRequired: securityQuestions.minimumAnswers(),
    questionsAsked: securityQuestions.questionsAsked(),
  })
  return async (app) => {
    app.get(
      '/security-questions',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['security-questions'],
          summary: "The tenant's security questions (its own list, or the built-in one)",
          response: { 200: QuestionListView },
        },
      },
      async (request) => viewOf(tenantOf(request)),
    )

    app.put(
      '/security-questions',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['security-questions'],
          summary:
            "Replace the tenant's security questions; answers to questions no longer listed stop counting",
          body: QuestionListBody,
          response: { 200: QuestionListView },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        await securityQuestions.replaceQuestions(tenant, request.body.questions, principalOf(request).actor)
        return viewOf(tenant)
      },
    )

    app.delete(
      '/security-questions',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['security-questions'],
          summary: 'Return the tenant to the built-in security questions',
          response: { 200: QuestionListView },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        await securityQuestions.resetQuestions(tenant, principalOf(request).actor)
        return viewOf(tenant)
      },
    )

    app.get(
      '/users/:id/security-answers',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['security-questions'],
          summary: 'Which security questions a user has answered (never the answers)',
          params: IdParam,
          response: { 200: AnsweredView },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const user = await users.require(tenant, request.params.id)
        const answered = await securityQuestions.answeredQuestionIds(tenant.id, user.id)
        return { answered, count: answered.length }
      },
    )

    app.delete(
      '/users/:id/security-answers',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['security-questions'],
          summary: "Clear a user's security answers (the user sets new ones)",
          params: IdParam,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request)
        const user = await users.require(tenant, request.params.id)
        await securityQuestions.clearAnswers(tenant, user.id, principalOf(request).actor)
        return reply.code(204).send(null)
      },
    )
  }
}
