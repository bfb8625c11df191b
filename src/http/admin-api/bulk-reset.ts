import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { MAX_LISTED_USERS } from '../../flows/bulk-reset/selection.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { routedPath } from '../routed-path.ts'
import { IdParam, IsoDate } from '../schemas.ts'

const Mode = Type.Union(
  [Type.Literal('email-link'), Type.Literal('email-otp'), Type.Literal('offline-otp')],
  { description: "The reset mode; the tenant's when not given" },
)

const Status = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
])

const BulkBody = Type.Object(
  {
    filter: Type.Optional(
      // The service enforces the real limit with a filter-specific error; this only bounds parsing.
      Type.String({
        maxLength: 65_536,
        description: 'A SCIM filter over Users, e.g. emails.value ew "@example.com"',
      }),
    ),
    ids: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), { maxItems: MAX_LISTED_USERS, description: 'User ids' }),
    ),
    userNames: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 320 }), {
        maxItems: MAX_LISTED_USERS,
        description: 'User names (DOMAIN/name for secondary user stores)',
      }),
    ),
    mode: Type.Optional(Mode),
    dryRun: Type.Optional(Type.Boolean({ description: 'Count the users and name a few; change nothing' })),
  },
  { additionalProperties: false, description: 'Exactly one of filter, ids and userNames' },
)

const Preview = Type.Object({
  count: Type.Integer({ description: 'Users selected' }),
  mode: Mode,
  sample: Type.Array(Type.String(), { description: 'A few selected users, by name' }),
  withoutEmail: Type.Union([Type.Integer(), Type.Null()], {
    description:
      'Selected users an email mode cannot reach (reported as failures); null when more than 10,000 users are selected (not counted in a dry run)',
  }),
})

const Accepted = Type.Object({
  jobId: Type.String(),
  total: Type.Integer(),
  status: Status,
  mode: Mode,
  location: Type.String({ description: 'Where the progress is read' }),
})

const Failure = Type.Object({
  userId: Type.String(),
  userName: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String({ description: 'An error code: reset.no-email, user.not-found' }),
})

const Job = Type.Object(
  {
    id: Type.String(),
    status: Status,
    selector: Type.Union([Type.Literal('filter'), Type.Literal('ids')]),
    filter: Type.Union([Type.String(), Type.Null()]),
    mode: Mode,
    total: Type.Integer(),
    done: Type.Integer({ description: 'Users forced' }),
    failed: Type.Integer({ description: 'Users left untouched, with the reason in failures' }),
    remaining: Type.Integer(),
    requestedBy: Type.String(),
    createdAt: IsoDate,
    updatedAt: IsoDate,
    startedAt: Type.Union([IsoDate, Type.Null()]),
    finishedAt: Type.Union([IsoDate, Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()]),
    failures: Type.Optional(Type.Array(Failure)),
  },
  { title: 'BulkResetJob' },
)

const JobQuery = Type.Object(
  {
    failures: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 100,
      description: 'Failures listed at most',
    }),
  },
  { additionalProperties: false },
)

const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
)

/** Forcing many users to replace their passwords: a dry run, a job with progress, cancel. */
export function bulkResetRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { bulkResets } = container
  return async (app) => {
    app.post(
      '/force-password-reset',
      {
        config: { permission: 'reset:force' },
        schema: {
          tags: ['users'],
          summary: 'Force password resets in bulk: by SCIM filter, ids or user names (dryRun counts only)',
          body: BulkBody,
          response: { 200: Preview, 202: Accepted },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request)
        const { dryRun, mode, ...selection } = request.body
        if (dryRun) return reply.code(200).send(await bulkResets.preview(tenant, { ...selection, mode }))
        const job = await bulkResets.create(
          tenant,
          { ...selection, mode },
          { actor: principalOf(request).actor, channel: 'admin-api' },
        )
        const location = `${routedPath(request.url)}/jobs/${job.id}`
        return reply
          .code(202)
          .header('location', location)
          .send({ jobId: job.id, total: job.total, status: job.status, mode: job.mode, location })
      },
    )

    app.get(
      '/force-password-reset/jobs',
      {
        config: { permission: 'reset:force' },
        schema: {
          tags: ['users'],
          summary: 'List bulk reset jobs, newest first',
          querystring: ListQuery,
          response: { 200: Type.Object({ jobs: Type.Array(Job) }) },
        },
      },
      async (request) => ({ jobs: await bulkResets.list(tenantOf(request), request.query) }),
    )

    app.get(
      '/force-password-reset/jobs/:id',
      {
        config: { permission: 'reset:force' },
        schema: {
          tags: ['users'],
          summary: 'A bulk reset job: status, progress and the users it could not reset',
          params: IdParam,
          querystring: JobQuery,
          response: { 200: Job },
        },
      },
      async (request) =>
        bulkResets.get(tenantOf(request), request.params.id, { failures: request.query.failures }),
    )

    app.delete(
      '/force-password-reset/jobs/:id',
      {
        config: { permission: 'reset:force' },
        schema: {
          tags: ['users'],
          summary: 'Cancel a bulk reset job: it stops after the batch in flight; forced users stay forced',
          params: IdParam,
          response: { 200: Job },
        },
      },
      async (request) => bulkResets.cancel(tenantOf(request), request.params.id, principalOf(request).actor),
    )
  }
}
