import { type RawBuilder, sql } from 'kysely'
import { comparisonKey } from '../../domain/comparison-key.ts'
import { isValidStoreDomain, PRIMARY_STORE } from '../../domain/user-name.ts'
import { displayNameKey } from '../../persistence/repositories/users.ts'
import { scimError } from '../errors.ts'
import type { AttributePath, Filter, FilterValue } from '../filter/ast.ts'
import { isSchemasAttribute } from '../filter/schemas-attribute.ts'
import { userRegistry } from '../schema/registry.ts'
import type { AttributeDefinition } from '../schema/types.ts'
import { and, anyOf, type Condition, not, or } from '../sql/condition.ts'
import { type Leaf, translateFilter } from '../sql/filter-walk.ts'
import { compareCondition, type Dialect, type Operand, presentCondition } from '../sql/operands.ts'
import { type ListedSchema, schemasCondition } from '../sql/schemas-condition.ts'
import { claimTable } from './claim-table.ts'
import {
  type AttributeMapping,
  CORE_USER,
  claimsOf,
  mappingOf,
  type UserColumn,
  userAttributeMappings,
} from './user-mapping.ts'

/**
 * Translates a SCIM filter over Users into one SQL condition on `users as u`. Claims are
 * matched with `u.id in (select user_id from user_claims where tenant_id = … and claim_uri = …
 * and <comparison>)`, which the (tenant_id, claim_uri, value_key) index answers (the reset's
 * flag and mode from the pending resets instead, see `claimTable`); nothing is
 * filtered in memory. The semantics are those of the in-memory evaluator in
 * `filter/evaluate.ts` (a property test holds the two together).
 */
export interface UserFilterContext extends Dialect {
  tenantId: string
}

/** A leaf against an operand; `ne` is `not eq`, so an absent value satisfies it. */
function leafOn(operand: Operand, leaf: Leaf, context: UserFilterContext): Condition {
  return leaf.kind === 'present'
    ? presentCondition(operand)
    : compareCondition(operand, leaf.operator, leaf.value, context)
}

const textOf = (prefix: string, caseExact: boolean): Operand => ({
  kind: 'text',
  raw: sql.ref(`${prefix}.value`),
  key: sql.ref(`${prefix}.value_key`),
  caseExact,
  nullable: false,
})

/** Users having claim `uri` whose value satisfies `condition` (written on alias `c`). */
function withClaim(uri: string, condition: Condition, context: UserFilterContext): Condition {
  if (condition === false) return false
  const where = condition === true ? sql`` : sql` and ${condition}`
  return sql`u.id in (select c.user_id from ${claimTable(uri)} c where c.tenant_id = ${context.tenantId} and c.claim_uri = ${uri}${where})`
}

function claimLeaf(uri: string, definition: AttributeDefinition, leaf: Leaf, context: UserFilterContext) {
  if (definition.type === 'boolean') {
    const flag: Operand = { kind: 'flag', isTrue: sql`c.value = 'true'`, isPresent: true }
    // Any stored text renders as a boolean ("" and "yes" as false), so every claim is a value.
    if (leaf.kind === 'present') return withClaim(uri, true, context)
    if (leaf.value === null) return not(withClaim(uri, true, context))
    return withClaim(uri, leafOn(flag, leaf, context), context)
  }
  if (leaf.kind === 'compare' && leaf.value === null) return not(withClaim(uri, sql`c.value <> ''`, context))
  return withClaim(uri, leafOn(textOf('c', definition.caseExact), leaf, context), context)
}

const userNameExpression = sql`(case when u.store_domain = 'PRIMARY' then u.username else u.store_domain || '/' || u.username end)`

function columnOperand(column: UserColumn): Operand {
  switch (column) {
    case 'id':
      return { kind: 'text', raw: sql`u.id`, key: sql`u.id`, caseExact: true, nullable: false }
    case 'userName':
      return {
        kind: 'text',
        raw: userNameExpression,
        key: displayNameKey,
        caseExact: false,
        nullable: false,
      }
    case 'active':
      return { kind: 'flag', isTrue: sql`u.status <> 'disabled'`, isPresent: true }
    case 'accountLocked':
      // A disabled account keeps its lock's reason and is locked again when enabled (isLocked).
      return {
        kind: 'flag',
        isTrue: sql`(u.status = 'locked' or (u.status = 'disabled' and u.lock_reason is not null))`,
        isPresent: true,
      }
    case 'lockedReason':
      // Case-insensitive, as the schema says; reasons are ASCII codes, which lower() folds alike.
      return {
        kind: 'text',
        raw: sql`u.lock_reason`,
        key: sql`lower(u.lock_reason)`,
        caseExact: false,
        nullable: true,
      }
    case 'created':
      return { kind: 'instant', expr: sql`u.created_at`, nullable: false }
    case 'lastModified':
      return { kind: 'instant', expr: sql`u.updated_at`, nullable: false }
    case 'passwordLastChanged':
      return {
        kind: 'instant',
        expr: sql`(select pc.changed_at from password_credentials pc where pc.user_id = u.id)`,
        nullable: true,
      }
  }
}

/**
 * `userName eq "x"` is the provisioning clients' look-up: answer it from the unique index.
 * The rendered name is `name` or `DOMAIN/name`, compared by its key; a name's own key may hold
 * "/" (NFKC folds "／" to it), so "partners/ann" is PARTNERS/ann and also the primary user
 * "partners／ann". A domain never contains "/", so only the first one can end it.
 */
export function userNameKeys(value: string): UserNameKeys {
  const key = comparisonKey(value)
  const slash = key.indexOf('/')
  const domain = key.slice(0, slash)
  // `PRIMARY/x` is shown as `x`, so it must not match here either (the slow path says no).
  if (slash === -1 || !isValidStoreDomain(domain) || domain.toUpperCase() === PRIMARY_STORE)
    return { primaryKey: key, domain: null, domainKey: null }
  return { primaryKey: key, domain: domain.toUpperCase(), domainKey: key.slice(slash + 1) }
}

/** The keys a rendered user name is looked up by: as a primary user's name, and in a domain. */
export interface UserNameKeys {
  primaryKey: string
  domain: string | null
  domainKey: string | null
}

function userNameEquality(value: FilterValue): Condition | undefined {
  if (typeof value !== 'string') return undefined
  const keys = userNameKeys(value)
  const primary = sql`(u.store_domain = ${PRIMARY_STORE} and u.username_key = ${keys.primaryKey})`
  if (keys.domain === null) return primary
  return or(primary, sql`(u.store_domain = ${keys.domain} and u.username_key = ${keys.domainKey})`)
}

/** One element of a multi-valued attribute, as the sub-filter of a value path sees it. */
interface ElementSlot {
  operand(subAttribute: string): Operand | undefined
  /** Users having such an element that satisfies `condition`. */
  having(condition: Condition): Condition
}

function typedValueSlots(
  mapping: Extract<AttributeMapping, { kind: 'typed-values' }>,
  context: UserFilterContext,
) {
  const slots: ElementSlot[] = []
  const typeUris = Object.values(mapping.typeClaims)
  const inSlot = (uri: string, extra: RawBuilder<unknown> | undefined, condition: Condition): Condition => {
    if (condition === false) return false
    const conditions = [extra, condition === true ? undefined : condition].filter(
      (part) => part !== undefined,
    )
    const where = conditions.map((part) => sql` and ${part}`)
    return sql`u.id in (select s.user_id from user_claims s where s.tenant_id = ${context.tenantId} and s.claim_uri = ${uri}${sql.join(where, sql``)})`
  }
  // The element of a type is primary when the primary claim repeats its value and no type
  // before it in the mapping's order holds that value too: only one element is primary
  // (RFC 7643 §2.4), the one rendering marks (`typedValueElements`).
  const earlier: string[] = []
  for (const [type, uri] of Object.entries(mapping.typeClaims)) {
    const repeated = sql`exists (select 1 from user_claims p where p.user_id = s.user_id and p.claim_uri = ${mapping.primaryClaim} and p.value = s.value)`
    const isPrimary =
      earlier.length === 0
        ? repeated
        : sql`(${repeated} and not exists (select 1 from user_claims q where q.user_id = s.user_id and q.claim_uri in (${sql.join([...earlier])}) and q.value = s.value))`
    earlier.push(uri)
    slots.push({
      operand: (sub) =>
        sub === 'value'
          ? textOf('s', false)
          : sub === 'type'
            ? { kind: 'constant', value: type }
            : sub === 'primary'
              ? { kind: 'flag', isTrue: isPrimary, isPresent: isPrimary }
              : undefined,
      having: (condition) => inSlot(uri, undefined, condition),
    })
  }
  // The primary value that no typed claim repeats: an element without a type.
  const untyped = sql`not exists (select 1 from user_claims d where d.user_id = s.user_id and d.claim_uri in (${sql.join(typeUris)}) and d.value = s.value)`
  slots.push({
    operand: (sub) =>
      sub === 'value'
        ? textOf('s', false)
        : sub === 'type'
          ? { kind: 'constant', value: undefined }
          : sub === 'primary'
            ? { kind: 'flag', isTrue: true, isPresent: true }
            : undefined,
    having: (condition) => inSlot(mapping.primaryClaim, untyped, condition),
  })
  return slots
}

/**
 * All elements of a typed multi-valued attribute as one slot, for a sub-filter that reads
 * nothing but `value`. Whether some element's value satisfies it does not depend on which
 * claim holds the value, nor on the primary claim repeating a typed one (the same value is then
 * there twice), so one look-up over every claim of the attribute answers it: a filter no index
 * serves (`emails.value ew "@example.com"`) reads the claims once instead of once per type.
 */
function anyValueSlot(
  mapping: Extract<AttributeMapping, { kind: 'typed-values' }>,
  context: UserFilterContext,
): ElementSlot {
  const uris = [...Object.values(mapping.typeClaims), mapping.primaryClaim]
  return {
    operand: (sub) => (sub === 'value' ? textOf('s', false) : undefined),
    having: (condition) =>
      condition === false
        ? false
        : sql`u.id in (select s.user_id from user_claims s where s.tenant_id = ${context.tenantId} and s.claim_uri in (${sql.join(uris)})${condition === true ? sql`` : sql` and ${condition}`})`,
  }
}

/** Whether a value path's sub-filter reads the element's `value` and nothing else. */
function readsValueOnly(filter: Filter): boolean {
  switch (filter.kind) {
    case 'compare':
    case 'present':
      return filter.path.attribute.toLowerCase() === 'value' && filter.path.subAttribute === undefined
    case 'and':
    case 'or':
      return readsValueOnly(filter.left) && readsValueOnly(filter.right)
    case 'not':
      return readsValueOnly(filter.filter)
    case 'valuePath':
      return false
  }
}

function addressSlots(
  mapping: Extract<AttributeMapping, { kind: 'typed-addresses' }>,
  context: UserFilterContext,
) {
  return mapping.types.map((type): ElementSlot => {
    const uris = mapping.subAttributes.map((sub) => mapping.claimOf(type, sub))
    const exists = sql`u.id in (select e.user_id from user_claims e where e.tenant_id = ${context.tenantId} and e.claim_uri in (${sql.join(uris)}))`
    const isPrimary = withClaim(mapping.primaryClaim, sql`c.value = ${type}`, context)
    return {
      operand: (sub) => {
        if (sub === 'type') return { kind: 'constant', value: type }
        if (sub === 'primary') return { kind: 'flag', isTrue: isPrimary, isPresent: isPrimary }
        return undefined
      },
      having: (condition) => and(exists, condition),
    }
  })
}

function groupSlot(context: UserFilterContext): ElementSlot {
  return {
    operand: (sub) => {
      if (sub === 'value')
        return { kind: 'text', raw: sql`r.id`, key: sql`r.id`, caseExact: true, nullable: false }
      // Role names are keyed lower-case (role-service), which is their comparison key.
      if (sub === 'display')
        return { kind: 'text', raw: sql`r.name`, key: sql`r.name_key`, caseExact: false, nullable: false }
      if (sub === 'type') return { kind: 'constant', value: 'direct' }
      // Rendered from the request's base URL, which SQL does not know; groups.value names the group.
      if (sub === '$ref')
        throw scimError.invalidFilter('groups.$ref cannot be filtered on: use groups.value.')
      return undefined
    },
    having: (condition) => {
      if (condition === false) return false
      const where = condition === true ? sql`` : sql` and ${condition}`
      return sql`u.id in (select ur.user_id from user_roles ur join roles r on r.id = ur.role_id where ur.tenant_id = ${context.tenantId}${where})`
    },
  }
}

/**
 * `pr` on a complex single-valued attribute (`name pr`, `manager pr`): true when one of its
 * sub-attributes has a value (RFC 7644 §3.4.2.2: "a non-empty node"), an empty string being
 * none, as for `pr` everywhere. Only the stored sub-attributes can: the others are derived from
 * them (`manager.$ref` from `manager.value`) or never kept (`manager.displayName`). One look-up
 * over all of the attribute's claims, so `not (name pr)` is its exact negation.
 */
function complexPresent(
  attribute: AttributeDefinition,
  subClaims: Readonly<Record<string, string>>,
  context: UserFilterContext,
): Condition {
  const text: string[] = []
  const others: Condition[] = []
  for (const sub of attribute.subAttributes ?? []) {
    const uri = subClaims[sub.name]
    if (!uri || hiddenFromFilters(sub)) continue
    if (sub.type === 'string' || sub.type === 'reference') text.push(uri)
    else others.push(claimLeaf(uri, sub, { kind: 'present' }, context))
  }
  const anyText =
    text.length === 0
      ? false
      : sql`u.id in (select c.user_id from user_claims c where c.tenant_id = ${context.tenantId} and c.claim_uri in (${sql.join(text)}) and c.value <> '')`
  return anyOf([anyText, ...others])
}

/** Whether `renderUser` gives a column's attribute a value: booleans and most columns always do. */
function columnRendered(column: UserColumn): Condition {
  const operand = columnOperand(column)
  switch (operand.kind) {
    case 'text':
      // Not `pr`: an empty lock reason would still be rendered.
      return operand.nullable ? sql`${operand.raw} is not null` : true
    case 'instant':
      return operand.nullable ? sql`${operand.expr} is not null` : true
    default:
      return true
  }
}

/**
 * Whether `renderUser` gives the attribute a value, an empty string included (it renders one).
 * Claims are read through `claimTable`, as the claims reader returns them: a pending reset
 * shows `forcePasswordReset` whether or not the claim is stored.
 */
function rendered(mapping: AttributeMapping, context: UserFilterContext): Condition {
  const anyClaim = (uris: readonly string[]) => anyOf(uris.map((uri) => withClaim(uri, true, context)))
  switch (mapping.kind) {
    case 'column':
      return columnRendered(mapping.column)
    case 'claim':
    case 'complex':
    case 'typed-values':
      return anyClaim(claimsOf(mapping))
    case 'typed-addresses':
      // An address is rendered for its parts; the primary claim alone (a type) makes none.
      return anyClaim(
        mapping.types.flatMap((type) => mapping.subAttributes.map((sub) => mapping.claimOf(type, sub))),
      )
    case 'groups':
      return sql`u.id in (select ur.user_id from user_roles ur where ur.tenant_id = ${context.tenantId})`
    case 'meta':
      return true
    case 'value-list':
      // Rendered only when the claim holds a JSON array, which the engines test differently.
      throw new Error('A value-list attribute in a User extension needs its own listing rule')
  }
}

/**
 * The schema URIs `renderUser` lists in `schemas`, with the condition under which it lists
 * each: the core schema always, an extension when one of its attributes has a value. The Rekey
 * extension always has `accountLocked`, so its condition folds to true; the enterprise one is
 * one look-up per claim.
 */
function listedUserSchemas(context: UserFilterContext): ListedSchema[] {
  return Object.entries(userAttributeMappings).map(([urn, mappings]) => ({
    urn,
    listed:
      urn === CORE_USER ? true : anyOf(Object.values(mappings).map((mapping) => rendered(mapping, context))),
  }))
}

const hiddenFromFilters = (definition: AttributeDefinition) =>
  definition.returned === 'never' || definition.returned === 'request'

export class UserFilterTranslator {
  constructor(private readonly context: UserFilterContext) {}

  translate(filter: Filter): Condition {
    return translateFilter(filter, {
      leaf: (path, leaf) => this.attribute(path, leaf),
      valuePath: (path, inner) => this.valuePath(path, inner),
    })
  }

  private resolve(path: AttributePath) {
    const resolved = userRegistry.resolve(path)
    const spelled = [path.schema, path.attribute].filter(Boolean).join(':')
    if (!resolved)
      throw scimError.invalidFilter(
        `Unknown attribute ${spelled}${path.subAttribute ? `.${path.subAttribute}` : ''}.`,
      )
    // Threat: filtering on a secret is an oracle (`oneTimePassword sw "a"` reveals it letter by
    // letter through which users match), so attributes that are never or only on request
    // returned cannot be filtered on.
    if (
      hiddenFromFilters(resolved.attribute) ||
      (resolved.subAttribute && hiddenFromFilters(resolved.subAttribute))
    )
      throw scimError.invalidFilter(`The attribute ${resolved.attribute.name} cannot be filtered on.`)
    const mapping = mappingOf(resolved.schema.id, resolved.attribute.name)
    if (!mapping)
      throw scimError.invalidFilter(`The attribute ${resolved.attribute.name} cannot be filtered on.`)
    // Written out: a literal that spreads first is built in V8's slow path, and its objects
    // outlive the request (promoted to the old generation), which costs every later request.
    return {
      schema: resolved.schema,
      attribute: resolved.attribute,
      subAttribute: resolved.subAttribute,
      mapping,
    }
  }

  private attribute(path: AttributePath, leaf: Leaf): Condition {
    // `eq null` is `not pr` on the whole path, not "some element whose sub-attribute is absent".
    if (leaf.kind === 'compare' && leaf.operator === 'eq' && leaf.value === null)
      return not(this.attribute(path, { kind: 'present' }))
    if (isSchemasAttribute(path))
      return schemasCondition(path, listedUserSchemas(this.context), leaf, this.context)
    const { attribute, subAttribute, mapping } = this.resolve(path)
    const notFilterable = () =>
      scimError.invalidFilter(
        `The attribute ${attribute.name}${subAttribute ? `.${subAttribute.name}` : ''} cannot be filtered on.`,
      )
    switch (mapping.kind) {
      case 'column': {
        if (subAttribute) throw notFilterable()
        if (mapping.column === 'userName' && leaf.kind === 'compare' && leaf.operator === 'eq') {
          const fast = userNameEquality(leaf.value)
          if (fast) return fast
        }
        return leafOn(columnOperand(mapping.column), leaf, this.context)
      }
      case 'claim':
        if (subAttribute) throw notFilterable()
        return claimLeaf(mapping.claim, attribute, leaf, this.context)
      case 'complex': {
        if (!subAttribute) {
          if (leaf.kind === 'present') return complexPresent(attribute, mapping.subAttributes, this.context)
          // `manager eq "x"` compares its `value`, as `emails eq "x"` does (RFC 7644 §3.4.2.2).
          const value = attribute.subAttributes?.find((sub) => sub.name === 'value')
          const valueUri = mapping.subAttributes.value
          if (!value || !valueUri) throw notFilterable()
          return claimLeaf(valueUri, value, leaf, this.context)
        }
        const uri = mapping.subAttributes[subAttribute.name]
        if (!uri) throw notFilterable()
        return claimLeaf(uri, subAttribute, leaf, this.context)
      }
      case 'meta': {
        const name = subAttribute?.name
        // Every resource has its meta (`resourceType`, `created`, …): it is always present.
        if (name === undefined && leaf.kind === 'present') return true
        if (name === 'created' || name === 'lastModified')
          return leafOn(columnOperand(name), leaf, this.context)
        if (name === 'resourceType')
          return leafOn({ kind: 'constant', value: 'User', caseExact: true }, leaf, this.context)
        throw notFilterable()
      }
      case 'typed-values':
      case 'typed-addresses':
      case 'groups': {
        // `emails pr` asks for some element, even one whose value is "" (the admin API stores
        // those); `emails.value eq x` and `emails eq x` ask whether some element matches.
        if (!subAttribute && leaf.kind === 'present') return this.elements(attribute.name, mapping, true)
        const sub = subAttribute?.name ?? (mapping.kind === 'typed-addresses' ? undefined : 'value')
        if (!sub) throw notFilterable()
        const inner: Filter =
          leaf.kind === 'present'
            ? { kind: 'present', path: { attribute: sub } }
            : { kind: 'compare', path: { attribute: sub }, operator: leaf.operator, value: leaf.value }
        return this.elements(attribute.name, mapping, inner)
      }
      case 'value-list':
        throw notFilterable()
    }
  }

  private valuePath(path: AttributePath, inner: Filter): Condition {
    if (isSchemasAttribute(path))
      throw scimError.invalidFilter('schemas is not a multi-valued complex attribute: [ ] does not apply.')
    const { attribute, subAttribute, mapping } = this.resolve(path)
    if (subAttribute || !attribute.multiValued || attribute.type !== 'complex')
      throw scimError.invalidFilter(
        `${attribute.name} is not a multi-valued complex attribute: [ ] does not apply.`,
      )
    if (mapping.kind !== 'typed-values' && mapping.kind !== 'typed-addresses' && mapping.kind !== 'groups')
      throw scimError.invalidFilter(`The attribute ${attribute.name} cannot be filtered on.`)
    return this.elements(attribute.name, mapping, inner)
  }

  private elements(
    name: string,
    mapping: Extract<AttributeMapping, { kind: 'typed-values' | 'typed-addresses' | 'groups' }>,
    inner: Filter | true,
  ): Condition {
    const slots =
      mapping.kind === 'typed-values'
        ? inner !== true && readsValueOnly(inner)
          ? [anyValueSlot(mapping, this.context)]
          : typedValueSlots(mapping, this.context)
        : mapping.kind === 'typed-addresses'
          ? addressSlots(mapping, this.context)
          : [groupSlot(this.context)]
    const definition = userRegistry.resolve({ attribute: name })!.attribute
    return anyOf(
      slots.map((slot) =>
        slot.having(inner === true ? true : this.element(inner, slot, definition, mapping)),
      ),
    )
  }

  /** The sub-filter of a value path, for one element slot. */
  private element(
    filter: Filter,
    slot: ElementSlot,
    parent: AttributeDefinition,
    mapping: AttributeMapping,
  ): Condition {
    switch (filter.kind) {
      case 'and':
        return and(
          this.element(filter.left, slot, parent, mapping),
          this.element(filter.right, slot, parent, mapping),
        )
      case 'or':
        return or(
          this.element(filter.left, slot, parent, mapping),
          this.element(filter.right, slot, parent, mapping),
        )
      case 'not':
        return not(this.element(filter.filter, slot, parent, mapping))
      case 'valuePath':
        throw scimError.invalidFilter('A value filter cannot contain another value filter.')
      case 'present':
      case 'compare': {
        const wanted = filter.path.attribute.toLowerCase()
        const sub = parent.subAttributes?.find((candidate) => candidate.name.toLowerCase() === wanted)
        if (!sub || filter.path.subAttribute)
          throw scimError.invalidFilter(`${parent.name} has no sub-attribute ${filter.path.attribute}.`)
        const leaf: Leaf =
          filter.kind === 'present'
            ? { kind: 'present' }
            : {
                kind: 'compare',
                operator: filter.operator === 'ne' ? 'eq' : filter.operator,
                value: filter.value,
              }
        const condition = this.elementLeaf(slot, sub, leaf, mapping)
        return filter.kind === 'compare' && filter.operator === 'ne' ? not(condition) : condition
      }
    }
  }

  private elementLeaf(
    slot: ElementSlot,
    sub: AttributeDefinition,
    leaf: Leaf,
    mapping: AttributeMapping,
  ): Condition {
    const operand = slot.operand(sub.name)
    if (operand) return leafOn(operand, leaf, this.context)
    if (mapping.kind === 'typed-addresses') {
      const type = slot.operand('type')
      const uri = type?.kind === 'constant' && type.value ? mapping.claimOf(type.value, sub.name) : undefined
      if (uri && mapping.subAttributes.includes(sub.name)) return claimLeaf(uri, sub, leaf, this.context)
    }
    // A sub-attribute Rekey does not store (e.g. `display`) never has a value.
    return leafOn({ kind: 'constant', value: undefined }, leaf, this.context)
  }
}
