import type { SchemaRegistry } from '../schema/types.ts'
import type { AttributePath, Filter } from './ast.ts'
import { formatPath } from './parser.ts'
import { isSchemasAttribute } from './schemas-attribute.ts'

/**
 * The filter as one resource type reads it when a search spans several (POST /.search): an
 * attribute the type does not have is treated as having no value (RFC 7644 §3.4.2.1), with the
 * same meaning the evaluator gives an absent value — a comparison fails, except `eq null` and
 * `ne` with a value, which hold; `pr` and a value filter fail. Those leaves become constants
 * and are folded away: the answer is a filter over the type's own attributes, or `true` (every
 * resource) or `false` (none).
 */
export function restrictToType(filter: Filter, registry: SchemaRegistry): Filter | boolean {
  switch (filter.kind) {
    case 'and': {
      const left = restrictToType(filter.left, registry)
      const right = restrictToType(filter.right, registry)
      if (left === false || right === false) return false
      if (left === true) return right
      if (right === true) return left
      return { kind: 'and', left, right }
    }
    case 'or': {
      const left = restrictToType(filter.left, registry)
      const right = restrictToType(filter.right, registry)
      if (left === true || right === true) return true
      if (left === false) return right
      if (right === false) return left
      return { kind: 'or', left, right }
    }
    case 'not': {
      const inner = restrictToType(filter.filter, registry)
      return typeof inner === 'boolean' ? !inner : { kind: 'not', filter: inner }
    }
    case 'present':
    case 'valuePath':
      return knows(registry, filter.path) ? filter : false
    case 'compare':
      if (knows(registry, filter.path)) return filter
      if (filter.operator === 'eq') return filter.value === null
      if (filter.operator === 'ne') return filter.value !== null
      return false
  }
}

/** Every resource type has `schemas` (RFC 7643 §3), though no registry lists it. */
function knows(registry: SchemaRegistry, path: AttributePath): boolean {
  return (isSchemasAttribute(path) && path.subAttribute === undefined) || registry.resolve(path) !== undefined
}

/** The first attribute path of the filter that none of the registries knows, written out. */
export function attributeKnownToNone(
  filter: Filter,
  registries: readonly SchemaRegistry[],
): string | undefined {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return attributeKnownToNone(filter.left, registries) ?? attributeKnownToNone(filter.right, registries)
    case 'not':
      return attributeKnownToNone(filter.filter, registries)
    case 'present':
    case 'valuePath':
    case 'compare':
      return registries.some((registry) => knows(registry, filter.path)) ? undefined : formatPath(filter.path)
  }
}
