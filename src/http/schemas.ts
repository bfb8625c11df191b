import Type from 'typebox'
import { permissions } from '../domain/permissions.ts'

/** Shared wire schemas. Response schemas are what keep hashes and secrets off the wire. */
export const IsoDate = Type.String({ format: 'date-time' })

export const ClaimsSchema = Type.Record(Type.String({ maxLength: 255 }), Type.String({ maxLength: 4096 }), {
  description: 'Claims keyed by claim URI, e.g. http://wso2.org/claims/emailaddress',
})

export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String({ description: 'DOMAIN/name for secondary user stores' }),
    storeDomain: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('locked'), Type.Literal('disabled')]),
    lockReason: Type.Union([Type.String(), Type.Null()]),
    claims: ClaimsSchema,
    roles: Type.Optional(Type.Array(Type.String())),
    passwordChangedAt: Type.Union([IsoDate, Type.Null()]),
    createdAt: IsoDate,
    updatedAt: IsoDate,
    version: Type.Integer(),
  },
  { title: 'User' },
)

export const PermissionSchema = Type.Union(
  permissions.map((permission) => Type.Literal(permission)),
  { description: 'A permission a role grants' },
)

export const RoleSchema = Type.Object(
  {
    name: Type.String(),
    permissions: Type.Array(Type.String()),
    builtin: Type.Boolean(),
    createdAt: IsoDate,
  },
  { title: 'Role' },
)

export const RoleMemberSchema = Type.Object({ id: Type.String(), username: Type.String() })

export const TenantSchema = Type.Object(
  {
    domain: Type.String(),
    displayName: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    isDefault: Type.Boolean(),
    createdAt: IsoDate,
  },
  { title: 'Tenant' },
)

export const TokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    createdBy: Type.String(),
    createdAt: IsoDate,
    expiresAt: Type.Union([IsoDate, Type.Null()]),
    lastUsedAt: Type.Union([IsoDate, Type.Null()]),
    revoked: Type.Boolean(),
  },
  { title: 'ApiToken' },
)

export const SessionSchema = Type.Object({
  id: Type.String(),
  createdAt: IsoDate,
  expiresAt: IsoDate,
  lastSeenAt: IsoDate,
  clientAddress: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
})

export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 512 }) })
export const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) })
