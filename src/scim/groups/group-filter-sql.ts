import { sql } from 'kysely'
import { scimError } from '../errors.ts'
import type { AttributePath, Filter } from '../filter/ast.ts'
import { isSchemasAttribute } from '../filter/schemas-attribute.ts'
import { GROUP_SCHEMA_URN } from '../schema/group.ts'
import { groupRegistry } from '../schema/registry.ts'
import { and, type Condition, not, or } from '../sql/condition.ts'
import { type Leaf, translateFilter } from '../sql/filter-walk.ts'
import { compareCondition, type Dialect, type Operand, presentCondition } from '../sql/operands.ts'
import { type ListedSchema, schemasCondition } from '../sql/schemas-condition.ts'

/**
 * Translates a SCIM filter over Groups (Rekey roles) into SQL on `roles as r`. Members are
 * matched with `r.id in (select role_id from user_roles … )`. Same semantics as the in-memory
 * evaluator.
 */
export interface GroupFilterContext extends Dialect {
  tenantId: string
}

function groupOperand(attribute: string, subAttribute: string | undefined): Operand | undefined {
  switch (attribute) {
    case 'id':
      return { kind: 'text', raw: sql`r.id`, key: sql`r.id`, caseExact: true, nullable: false }
    case 'displayName':
      // Role names are keyed lower-case by the role service: that is their comparison key.
      return { kind: 'text', raw: sql`r.name`, key: sql`r.name_key`, caseExact: false, nullable: false }
    case 'externalId':
      // caseExact, as the schema says: the client's identifier is compared as written.
      return {
        kind: 'text',
        raw: sql`r.external_id`,
        key: sql`r.external_id`,
        caseExact: true,
        nullable: true,
      }
    case 'meta':
      if (subAttribute === 'created') return { kind: 'instant', expr: sql`r.created_at`, nullable: false }
      if (subAttribute === 'lastModified')
        return { kind: 'instant', expr: sql`r.updated_at`, nullable: false }
      if (subAttribute === 'resourceType') return { kind: 'constant', value: 'Group', caseExact: true }
      return undefined
    default:
      return undefined
  }
}

/** `renderGroup` lists the core Group schema alone, for every group. */
const listedGroupSchemas: readonly ListedSchema[] = [{ urn: GROUP_SCHEMA_URN, listed: true }]

function memberOperand(subAttribute: string): Operand | undefined {
  if (subAttribute === 'value')
    return { kind: 'text', raw: sql`m.id`, key: sql`m.id`, caseExact: true, nullable: false }
  if (subAttribute === 'display')
    return {
      kind: 'text',
      raw: sql`(case when m.store_domain = 'PRIMARY' then m.username else m.store_domain || '/' || m.username end)`,
      key: sql`(case when m.store_domain = 'PRIMARY' then m.username_key else lower(m.store_domain) || '/' || m.username_key end)`,
      caseExact: false,
      nullable: false,
    }
  if (subAttribute === 'type') return { kind: 'constant', value: 'User' }
  return undefined
}

export class GroupFilterTranslator {
  constructor(private readonly context: GroupFilterContext) {}

  translate(filter: Filter): Condition {
    return translateFilter(filter, {
      leaf: (path, leaf) => this.attribute(path, leaf),
      valuePath: (path, inner) => {
        if (isSchemasAttribute(path))
          throw scimError.invalidFilter(
            'schemas is not a multi-valued complex attribute: [ ] does not apply.',
          )
        const resolved = this.resolve(path)
        if (resolved.attribute.name !== 'members' || resolved.subAttribute)
          throw scimError.invalidFilter(
            `${resolved.attribute.name} is not a multi-valued complex attribute: [ ] does not apply.`,
          )
        return this.members(this.member(inner))
      },
    })
  }

  private resolve(path: AttributePath) {
    const resolved = groupRegistry.resolve(path)
    if (!resolved)
      throw scimError.invalidFilter(
        `Unknown attribute ${path.attribute}${path.subAttribute ? `.${path.subAttribute}` : ''}.`,
      )
    return resolved
  }

  private leaf(operand: Operand, leaf: Leaf): Condition {
    return leaf.kind === 'present'
      ? presentCondition(operand)
      : compareCondition(operand, leaf.operator, leaf.value, this.context)
  }

  private attribute(path: AttributePath, leaf: Leaf): Condition {
    // `eq null` is `not pr` on the whole path, not "some member whose sub-attribute is absent".
    if (leaf.kind === 'compare' && leaf.operator === 'eq' && leaf.value === null)
      return not(this.attribute(path, { kind: 'present' }))
    if (isSchemasAttribute(path)) return schemasCondition(path, listedGroupSchemas, leaf, this.context)
    const { attribute, subAttribute } = this.resolve(path)
    if (attribute.name === 'members') {
      if (!subAttribute && leaf.kind === 'present') return this.members(true)
      const operand = memberOperand(subAttribute?.name ?? 'value')
      if (!operand) throw scimError.invalidFilter(`members.${subAttribute?.name} cannot be filtered on.`)
      return this.members(this.leaf(operand, leaf))
    }
    // `pr` on a complex attribute: every group has its meta (`resourceType`, `created`, …).
    if (attribute.name === 'meta' && !subAttribute && leaf.kind === 'present') return true
    const operand = groupOperand(attribute.name, subAttribute?.name)
    if (!operand) throw scimError.invalidFilter(`The attribute ${attribute.name} cannot be filtered on.`)
    return this.leaf(operand, leaf)
  }

  private member(filter: Filter): Condition {
    switch (filter.kind) {
      case 'and':
        return and(this.member(filter.left), this.member(filter.right))
      case 'or':
        return or(this.member(filter.left), this.member(filter.right))
      case 'not':
        return not(this.member(filter.filter))
      case 'valuePath':
        throw scimError.invalidFilter('A value filter cannot contain another value filter.')
      case 'present':
      case 'compare': {
        const operand = filter.path.subAttribute ? undefined : memberOperand(canonical(filter.path.attribute))
        const wanted = filter.path.attribute
        // `$ref` is rendered from the request's base URL, which SQL does not know: refused, as
        // `members.$ref` is, rather than treated as absent while every member has one.
        if (!operand)
          throw scimError.invalidFilter(`members has no sub-attribute ${wanted} that can be filtered on.`)
        const target = operand
        if (filter.kind === 'present') return this.leaf(target, { kind: 'present' })
        if (filter.operator === 'ne')
          return not(this.leaf(target, { kind: 'compare', operator: 'eq', value: filter.value }))
        return this.leaf(target, { kind: 'compare', operator: filter.operator, value: filter.value })
      }
    }
  }

  /** Groups with a member satisfying `condition` (written on `m`, the member's user row). */
  private members(condition: Condition): Condition {
    if (condition === false) return false
    const where = condition === true ? sql`` : sql` and ${condition}`
    return sql`r.id in (select mr.role_id from user_roles mr join users m on m.id = mr.user_id where mr.tenant_id = ${this.context.tenantId}${where})`
  }
}

function canonical(name: string): string {
  const lower = name.toLowerCase()
  return lower === 'display' || lower === 'value' || lower === 'type' ? lower : name
}
