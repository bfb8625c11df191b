import { scimError } from '../../scim/errors.ts'
import type { AttributePath, Filter } from '../../scim/filter/ast.ts'
import { validateFilter } from '../../scim/filter/evaluate.ts'
import { parseFilter } from '../../scim/filter/parser.ts'
import { parseAttributePath } from '../../scim/filter/path.ts'
import { attributeKnownToNone, restrictToType } from '../../scim/filter/restrict.ts'
import { canonicalUserNames } from '../../scim/filter/user-name-literals.ts'
import { namesSchema } from '../../scim/resource-body.ts'
import type { SchemaRegistry } from '../../scim/schema/types.ts'
import type { SortOrder } from '../../scim/sql/list-order.ts'

export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'

/** A list or search request as the query layer takes it (RFC 7644 §3.4.2). */
export interface ListParameters {
  filter?: Filter | undefined
  sortBy?: AttributePath | undefined
  sortOrder: SortOrder
  startIndex: number
  count: number
  attributes?: AttributePath[] | undefined
  excludedAttributes?: AttributePath[] | undefined
  /** The filter can match nothing of this resource type (a search across types). */
  matchesNone?: boolean | undefined
}

/** How attributes the resource type lacks are read: invalid (one type) or absent (/.search). */
export type ListOptions =
  | { foreignAttributes: 'invalid' }
  /** `knownTo`: the types searched together; an attribute none of them has is invalid. */
  | { foreignAttributes: 'absent'; knownTo: readonly SchemaRegistry[] }

/** Parameter names are matched case-insensitively (clients vary); repeated ones must agree. */
function pick(source: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase()
  const values = Object.entries(source).filter(([key]) => key.toLowerCase() === wanted)
  if (values.length === 0) return undefined
  const value = values[0]![1]
  if (values.length > 1 || Array.isArray(value)) {
    const all = values.flatMap(([, entry]) => (Array.isArray(entry) ? entry : [entry]))
    if (name !== 'attributes' && name !== 'excludedAttributes')
      throw scimError.invalidValue(`${name} is given more than once.`)
    return all.join(',')
  }
  return value
}

function integerOf(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  // Decimal digits only: Number() would also read "0x10", "1e2" and `true`.
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+$/.test(value.trim())
        ? Number(value)
        : Number.NaN
  if (!Number.isSafeInteger(number)) throw scimError.invalidValue(`${name} must be an integer.`)
  return number
}

function pathsOf(value: unknown, name: string): AttributePath[] | undefined {
  if (value === undefined || value === null) return undefined
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined
  if (!list || list.some((entry) => typeof entry !== 'string'))
    throw scimError.invalidValue(`${name} must be a comma-separated list (or an array) of attribute names.`)
  const names = (list as string[]).map((entry) => entry.trim()).filter((entry) => entry !== '')
  if (names.length > 200) throw scimError.invalidValue(`${name} names more than 200 attributes.`)
  return names.map((entry) => {
    try {
      return parseAttributePath(entry)
    } catch {
      throw scimError.invalidValue(`${name}: "${entry}" is not an attribute name.`)
    }
  })
}

/**
 * Reads list parameters from a query string or a SearchRequest body. `startIndex` below 1
 * means 1 and a negative `count` means 0 (RFC 7644 §3.4.2.4); `count` is capped at the
 * advertised maximum.
 */
export function listParametersOf(
  source: Record<string, unknown>,
  registry: SchemaRegistry,
  maxResults: number,
  options: ListOptions = { foreignAttributes: 'invalid' },
): ListParameters {
  const filterText = pick(source, 'filter')
  let filter: Filter | undefined
  let matchesNone = false
  if (filterText !== undefined && filterText !== '') {
    if (typeof filterText !== 'string') throw scimError.invalidFilter('filter must be a string.')
    const parsed = parseFilter(filterText)
    let restricted: Filter | boolean = parsed
    if (options.foreignAttributes === 'absent') {
      const unknown = attributeKnownToNone(parsed, options.knownTo)
      if (unknown)
        throw scimError.invalidFilter(`No resource type searched here has an attribute ${unknown}.`)
      restricted = restrictToType(parsed, registry)
    }
    if (restricted === false) matchesNone = true
    else if (restricted !== true) {
      validateFilter(restricted, registry)
      filter = canonicalUserNames(restricted)
    }
  }
  const sortByText = pick(source, 'sortBy')
  let sortBy: AttributePath | undefined
  if (sortByText !== undefined && sortByText !== '') {
    if (typeof sortByText !== 'string') throw scimError.invalidValue('sortBy must be an attribute name.')
    try {
      sortBy = parseAttributePath(sortByText)
    } catch {
      throw scimError.invalidValue(`sortBy: "${sortByText}" is not an attribute name.`)
    }
  }
  const orderText = pick(source, 'sortOrder')
  if (
    orderText !== undefined &&
    (typeof orderText !== 'string' || !/^(ascending|descending)$/i.test(orderText))
  )
    throw scimError.invalidValue('sortOrder must be "ascending" or "descending".')
  const startIndex = Math.max(
    1,
    Math.min(integerOf(pick(source, 'startIndex'), 'startIndex') ?? 1, 1_000_000_000),
  )
  const count = Math.max(0, Math.min(integerOf(pick(source, 'count'), 'count') ?? maxResults, maxResults))
  const attributes = pathsOf(pick(source, 'attributes'), 'attributes')
  const excludedAttributes = pathsOf(pick(source, 'excludedAttributes'), 'excludedAttributes')
  if (attributes?.length && excludedAttributes?.length)
    throw scimError.invalidValue('Give attributes or excludedAttributes, not both.')
  return {
    filter,
    sortBy,
    sortOrder:
      typeof orderText === 'string' && orderText.toLowerCase() === 'descending' ? 'descending' : 'ascending',
    startIndex,
    count,
    attributes,
    excludedAttributes,
    ...(matchesNone ? { matchesNone } : {}),
  }
}

/** A SearchRequest body (POST …/.search). */
export function searchParametersOf(
  body: unknown,
  registry: SchemaRegistry,
  maxResults: number,
  options?: ListOptions,
): ListParameters {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw scimError.invalidSyntax('The search request must be a JSON object.')
  const request = body as Record<string, unknown>
  if (!namesSchema(request, SEARCH_REQUEST))
    throw scimError.invalidSyntax(`schemas must contain ${SEARCH_REQUEST}.`)
  const rest = Object.fromEntries(
    Object.entries(request).filter(([name]) => name.toLowerCase() !== 'schemas'),
  )
  return listParametersOf(rest, registry, maxResults, options)
}
