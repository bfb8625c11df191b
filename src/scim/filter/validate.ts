/**
 * Filter validation against a resource type's schemas (RFC 7644 §3.4.2.2): every path names a
 * known, filterable attribute, and every operator and literal fits the attribute's type.
 */
import { scimError } from '../errors.ts'
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts'
import type { AttributePath, CompareOperator, Filter, FilterValue } from './ast.ts'
import { booleanLiteral, findSubAttribute } from './evaluate.ts'
import { parseInstantLiteral } from './instant.ts'
import { quote } from './lexer.ts'
import { formatPath } from './parser.ts'
import { isSchemasAttribute, schemasAttribute } from './schemas-attribute.ts'

interface Named {
  name: string
  attribute: AttributeDefinition
  sub: AttributeDefinition | undefined
}

type Resolve = (path: AttributePath) => Named

const invalid = scimError.invalidFilter
const textTypes: ReadonlySet<string> = new Set(['string', 'reference', 'binary'])

/**
 * Checks a parsed filter against the resource type's schemas: every path names a known,
 * filterable attribute, and every operator and literal fits the attribute's type.
 */
export function validateFilter(filter: Filter, registry: SchemaRegistry): void {
  checkFilter(filter, (path) => resolveTopLevel(path, registry), undefined)
}

function checkFilter(filter: Filter, resolve: Resolve, parent: AttributeDefinition | undefined): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      checkFilter(filter.left, resolve, parent)
      checkFilter(filter.right, resolve, parent)
      return
    case 'not':
      checkFilter(filter.filter, resolve, parent)
      return
    case 'present':
      resolve(filter.path)
      return
    case 'compare':
      checkComparison(resolve(filter.path), filter.operator, filter.value)
      return
    case 'valuePath': {
      if (parent)
        throw invalid(
          `Value filters cannot be nested: ${quote(formatPath(filter.path))}[…] is inside ${parent.name}[…]`,
        )
      const { name, attribute, sub } = resolve(filter.path)
      if (sub || attribute.type !== 'complex' || !attribute.multiValued)
        throw invalid(
          `${quote(name)}[…] needs a multi-valued complex attribute, such as emails; ${quote(name)} is ${describeType(sub ?? attribute)}`,
        )
      checkFilter(filter.filter, (path) => resolveInValuePath(path, attribute), attribute)
    }
  }
}

function resolveTopLevel(path: AttributePath, registry: SchemaRegistry): Named {
  const name = formatPath(path)
  if (isSchemasAttribute(path)) {
    if (path.subAttribute !== undefined) throw unknownSubAttribute(schemasAttribute, path.subAttribute)
    return { name, attribute: schemasAttribute, sub: undefined }
  }
  if (path.schema !== undefined && !registry.schema(path.schema))
    throw invalid(`Unknown schema ${quote(path.schema)} in ${quote(name)}`)
  const resolved = registry.resolve(path)
  if (resolved && (path.subAttribute === undefined || resolved.subAttribute))
    return filterable({ name, attribute: resolved.attribute, sub: resolved.subAttribute })
  const parent = registry.resolve({ schema: path.schema, attribute: path.attribute })
  if (!parent)
    throw invalid(
      `Unknown attribute ${quote(path.attribute)} ${path.schema === undefined ? 'in the filter' : `in schema ${quote(path.schema)}`}`,
    )
  throw unknownSubAttribute(parent.attribute, path.subAttribute ?? '')
}

/** Inside `emails[…]` paths name sub-attributes of emails. */
function resolveInValuePath(path: AttributePath, parent: AttributeDefinition): Named {
  if (path.schema !== undefined || path.subAttribute !== undefined)
    throw invalid(
      `Inside ${parent.name}[…] name a sub-attribute alone: ${quote(formatPath(path))} is not one`,
    )
  const sub = findSubAttribute(parent, path.attribute)
  if (!sub && path.attribute.toLowerCase() === 'value') {
    // Also what `addresses[type eq "work"] eq "x"` (an accepted deviation) compares.
    const names = (parent.subAttributes ?? []).map((candidate) => candidate.name)
    throw invalid(
      `${quote(parent.name)} has no sub-attribute "value" to compare; it has ${names.join(', ')}: name the one to compare, as in ${parent.name}[…].${names[0] ?? 'name'} eq "…"`,
    )
  }
  if (!sub) throw unknownSubAttribute(parent, path.attribute)
  return filterable({ name: `${parent.name}.${sub.name}`, attribute: sub, sub: undefined })
}

function unknownSubAttribute(parent: AttributeDefinition, name: string): Error {
  if (parent.type !== 'complex')
    return invalid(`${quote(parent.name)} is ${describeType(parent)} and has no sub-attributes`)
  const known = (parent.subAttributes ?? []).map((sub) => sub.name).join(', ')
  return invalid(`${quote(parent.name)} has no sub-attribute ${quote(name)}; it has ${known}`)
}

/**
 * Refuses attributes that are never returned. The threat is an oracle: `password sw "a"`
 * would reveal a secret one character at a time through which resources match.
 */
function filterable(named: Named): Named {
  if (named.attribute.returned === 'never' || named.sub?.returned === 'never')
    throw invalid(
      `${quote(named.name)} cannot be used in a filter: it is never returned, and filtering would reveal it`,
    )
  return named
}

function checkComparison(named: Named, operator: CompareOperator, value: FilterValue): void {
  let label = quote(named.name)
  if (value === null) {
    if (operator === 'eq' || operator === 'ne') return
    throw invalid(`null can only be compared with eq or ne, not with ${operator} (on ${label})`)
  }
  let definition = named.sub ?? named.attribute
  if (definition.type === 'complex') {
    const inner = findSubAttribute(definition, 'value')
    const known = (definition.subAttributes ?? []).map((sub) => sub.name).join(', ')
    if (!inner) throw invalid(`${label} is complex: compare one of its sub-attributes (${known}), or use pr`)
    // `emails co "x"` compares emails.value, so messages name that.
    const name = `${named.name}.${inner.name}`
    label = quote(name)
    definition = filterable({ name, attribute: inner, sub: undefined }).attribute
  }
  const { type } = definition
  if ((operator === 'co' || operator === 'sw' || operator === 'ew') && !textTypes.has(type))
    throw invalid(
      `The operator ${operator} needs a string, reference or binary attribute; ${label} is ${describeType(definition)}`,
    )
  if (
    (operator === 'gt' || operator === 'ge' || operator === 'lt' || operator === 'le') &&
    (type === 'boolean' || type === 'binary')
  )
    throw invalid(
      `The operator ${operator} does not order ${describeType(definition)} such as ${label}; use eq or ne`,
    )
  const problem = literalProblem(definition, value)
  if (problem)
    throw invalid(`${label} is ${describeType(definition)}: ${problem}, not ${JSON.stringify(value)}`)
}

/** Why `value` cannot be compared with an attribute of this definition's type, if it cannot. */
function literalProblem(
  definition: AttributeDefinition,
  value: string | number | boolean,
): string | undefined {
  switch (definition.type) {
    case 'string':
    case 'reference':
    case 'binary':
      return typeof value === 'string' ? undefined : 'compare it with a string in double quotes'
    case 'boolean':
      return booleanLiteral(value) === undefined ? 'compare it with true or false' : undefined
    case 'integer':
      // Beyond 2^53 a number is no longer exact, and storage would overflow.
      return Number.isSafeInteger(value) ? undefined : 'compare it with a whole number such as 42'
    case 'decimal':
      return typeof value === 'number' ? undefined : 'compare it with a number such as 1.5'
    case 'dateTime':
      return typeof value === 'string' && parseInstantLiteral(value) !== undefined
        ? undefined
        : 'compare it with a date and time with a zone in double quotes, such as "2011-05-13T04:42:34Z"'
    case 'complex':
      return 'compare one of its sub-attributes'
  }
}

function describeType(definition: AttributeDefinition): string {
  const kind = definition.multiValued ? 'multi-valued' : 'single-valued'
  return `a ${kind} ${definition.type}`
}
