import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import {
  MEMBERS_PER_PAGE,
  permissionDescription,
  permissionOptions,
  type RoleForm,
  roleFields,
  rolePath,
} from './roles-form.ts'

export type RoleRequest = FastifyRequest<{ Params: { name: string }; Querystring: { page?: number } }>

export const RoleParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 255 } },
  required: ['name'],
}

export const MemberPageQuery = {
  type: 'object',
  properties: { page: { type: 'integer', minimum: 1, maximum: 1_000_000 } },
}

/** What a refused form on the role's page typed and what is wrong with it. */
export interface RolePageState {
  form?: RoleForm
  member?: string
  errors?: ConsoleErrors
  status?: number
}

/**
 * The role's page: its name and permissions (a form when they may change), one page of its
 * members with the add and remove forms, and the way to deletion. Refused forms of any of
 * these render it again with what was typed.
 */
export function rolePage(container: Container, kit: ConsoleKit) {
  const { roles } = container
  return async (request: RoleRequest, reply: FastifyReply, state: RolePageState = {}) => {
    const { tenant, isDefaultTenant } = kit.context(request)
    const role = await roles.summary(tenant, request.params.name)
    const pageNumber = request.query?.page ?? 1
    const offset = (pageNumber - 1) * MEMBERS_PER_PAGE
    const { members, total } = await roles.memberPage(tenant, role.name, { offset, limit: MEMBERS_PER_PAGE })
    const path = rolePath(role.name)
    const form = state.form ?? { name: role.name, permissions: role.permissions }
    return kit.render(
      request,
      reply,
      'roles-edit',
      {
        title: `Role ${role.name}`,
        section: 'roles',
        errors: state.errors,
        role,
        path,
        form,
        member: state.member ?? '',
        fields: roleFields,
        options: permissionOptions(isDefaultTenant, form.permissions),
        granted: role.permissions.map((permission) => ({
          permission,
          description: permissionDescription(permission),
        })),
        members,
        pager: {
          label: 'Pages of members',
          total,
          from: members.length === 0 ? 0 : offset + 1,
          to: offset + members.length,
          ...(pageNumber > 1 ? { previous: `${kit.place(request).root}${path}?page=${pageNumber - 1}` } : {}),
          ...(offset + members.length < total
            ? { next: `${kit.place(request).root}${path}?page=${pageNumber + 1}` }
            : {}),
        },
      },
      state.status ?? 200,
    )
  }
}
