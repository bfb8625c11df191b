import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type, { type TSchema } from 'typebox'
import {
  type ResetPolicySettings,
  resetKeySchema,
  resetSettingKeys,
} from '../../admin/policies/reset-policy-settings.ts'
import type { Container } from '../../container.ts'
import { type PasswordPolicy, passwordPolicyLimits } from '../../domain/password-policy/index.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'

/** The configuration key's schema without its default (a PATCH must not fill in every key) and env. */
function apiCopy(schema: TSchema): TSchema {
  const { default: _default, env: _env, ...rest } = schema as Record<string, unknown>
  return Type.Unsafe(rest)
}

const resetSettings = Object.fromEntries(
  (Object.keys(resetSettingKeys) as Array<keyof ResetPolicySettings>).map((key) => [
    key,
    apiCopy(resetKeySchema(key)),
  ]),
) as Record<keyof ResetPolicySettings, TSchema>

const ResetPolicy = Type.Object(resetSettings, { additionalProperties: false })
const ResetPolicyChanges = Type.Object(
  Object.fromEntries(
    Object.entries(resetSettings).map(([key, schema]) => [
      key,
      Type.Optional(Type.Union([schema, Type.Null()])),
    ]),
  ),
  {
    additionalProperties: false,
    description: 'The settings to change; `null` returns a setting to the server configuration.',
  },
)

const limits = passwordPolicyLimits
const passwordFields = {
  minLength: Type.Integer({ minimum: limits.minLength.min, maximum: limits.minLength.max }),
  maxLength: Type.Integer({ minimum: limits.maxLength.min, maximum: limits.maxLength.max }),
  pattern: Type.Union([Type.String({ maxLength: limits.patternLength }), Type.Null()], {
    description: 'Regular expression (Unicode) a password must match somewhere; "" for none',
  }),
  patternDescription: Type.Union([Type.String({ maxLength: limits.patternDescriptionLength }), Type.Null()]),
  forbidUserName: Type.Boolean(),
  historyCount: Type.Integer({ minimum: limits.historyCount.min, maximum: limits.historyCount.max }),
  checkCommonPasswords: Type.Boolean(),
  maxAgeDays: Type.Integer({ minimum: limits.maxAgeDays.min, maximum: limits.maxAgeDays.max }),
} satisfies Record<keyof PasswordPolicy, TSchema>

const PasswordPolicySchema = Type.Object(passwordFields, { additionalProperties: false })
const PasswordPolicyChanges = Type.Object(
  Object.fromEntries(
    Object.entries(passwordFields).map(([key, schema]) => [
      key,
      Type.Optional(Type.Union([schema, Type.Null()])),
    ]),
  ),
  {
    additionalProperties: false,
    description: 'The rules to change; `null` returns a rule to the server configuration.',
  },
)

const selfServiceFields = {
  stages: Type.Array(Type.String({ maxLength: 64 }), {
    maxItems: 10,
    description:
      'The stage pipeline in order: parameters, userQuery, emailValidation, kbaSecurityAnswerVerificationStage, resetStage. [] turns self-service reset off.',
  }),
  queryableAttributes: Type.Array(Type.String({ maxLength: 64 }), {
    maxItems: 10,
    description: 'Attributes a userQuery filter may name: userName, emails, phoneNumbers, externalId',
  }),
}
const SelfServicePolicySchema = Type.Object(selfServiceFields, { additionalProperties: false })
const SelfServicePolicyChanges = Type.Object(
  {
    stages: Type.Optional(Type.Union([selfServiceFields.stages, Type.Null()])),
    queryableAttributes: Type.Optional(Type.Union([selfServiceFields.queryableAttributes, Type.Null()])),
  },
  {
    additionalProperties: false,
    description: 'The settings to change; `null` returns a setting to the server configuration.',
  },
)

const viewOf = <T extends TSchema>(effective: T) =>
  Type.Object({
    effective,
    overrides: Type.Record(Type.String(), Type.Unknown(), {
      description: "The settings this tenant changed; the others follow the server's configuration",
    }),
  })

/** A tenant's forced-reset policy, password policy and self-service reset pipeline. */
export function policyRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { tenantPolicies } = container
  return async (app) => {
    app.get(
      '/reset-policy',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['policies'],
          summary: "The tenant's forced-reset policy: mode, one-time password shape, lifetimes, limits",
          response: { 200: viewOf(ResetPolicy) },
        },
      },
      async (request) => tenantPolicies.viewResetPolicy(tenantOf(request)),
    )

    app.patch(
      '/reset-policy',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['policies'],
          summary: "Change some of the tenant's forced-reset settings",
          body: ResetPolicyChanges,
          response: { 200: viewOf(ResetPolicy) },
        },
      },
      async (request) =>
        tenantPolicies.updateResetPolicy(
          tenantOf(request),
          request.body as Partial<Record<keyof ResetPolicySettings, never>>,
          principalOf(request).actor,
        ),
    )

    app.get(
      '/password-policy',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['policies'],
          summary: "The tenant's password policy",
          response: { 200: viewOf(PasswordPolicySchema) },
        },
      },
      async (request) => tenantPolicies.viewPasswordPolicy(tenantOf(request)),
    )

    app.patch(
      '/password-policy',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['policies'],
          summary:
            "Change some rules of the tenant's password policy (checked as a whole before it is stored)",
          body: PasswordPolicyChanges,
          response: { 200: viewOf(PasswordPolicySchema) },
        },
      },
      async (request) =>
        tenantPolicies.updatePasswordPolicy(
          tenantOf(request),
          request.body as Partial<Record<keyof PasswordPolicy, never>>,
          principalOf(request).actor,
        ),
    )

    app.get(
      '/selfservice-policy',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['policies'],
          summary: "The tenant's self-service reset pipeline and the attributes a query may name",
          response: { 200: viewOf(SelfServicePolicySchema) },
        },
      },
      async (request) => tenantPolicies.viewSelfServicePolicy(tenantOf(request)),
    )

    app.patch(
      '/selfservice-policy',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['policies'],
          summary:
            "Change the tenant's self-service reset pipeline (refused unless a verification stage precedes resetStage)",
          body: SelfServicePolicyChanges,
          response: { 200: viewOf(SelfServicePolicySchema) },
        },
      },
      async (request) =>
        tenantPolicies.updateSelfServicePolicy(
          tenantOf(request),
          request.body as { stages?: string[] | null; queryableAttributes?: string[] | null },
          principalOf(request).actor,
        ),
    )
  }
}
