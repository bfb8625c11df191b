import { displayUserName, parseUserName } from '../../domain/user-name.ts'
import type { Filter } from './ast.ts'

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:user'

/**
 * `userName eq "x"` and `ne` with the literal read as a write reads a userName: surrounding
 * spaces dropped, `PRIMARY/x` the primary store's `x`, a domain in any case. Provisioning
 * clients look a user up by the name they would create it with and create it when nothing
 * matches; a name Rekey stored in its canonical form must be found by the form the client
 * sent, or every later sync answers 409 for the user it cannot find. Other operators compare
 * the literal as written.
 */
export function canonicalUserNames(filter: Filter): Filter {
  switch (filter.kind) {
    case 'compare': {
      const { path, operator, value } = filter
      if (
        (operator !== 'eq' && operator !== 'ne') ||
        typeof value !== 'string' ||
        path.attribute.toLowerCase() !== 'username' ||
        path.subAttribute !== undefined ||
        (path.schema !== undefined && path.schema !== CORE_USER)
      )
        return filter
      const parsed = parseUserName(value)
      return parsed ? { ...filter, value: displayUserName(parsed.storeDomain, parsed.name) } : filter
    }
    case 'and':
    case 'or':
      return { ...filter, left: canonicalUserNames(filter.left), right: canonicalUserNames(filter.right) }
    case 'not':
      return { ...filter, filter: canonicalUserNames(filter.filter) }
    default:
      return filter
  }
}
