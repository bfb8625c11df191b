import type { AttributePath, CompareOperator, Filter, FilterValue } from '../filter/ast.ts'
import { and, type Condition, not, or } from './condition.ts'

/** A comparison as translators see it: `ne` never reaches them, it is `not eq`. */
export type Leaf =
  | { kind: 'present' }
  | { kind: 'compare'; operator: Exclude<CompareOperator, 'ne'>; value: FilterValue }

export interface FilterTranslation {
  leaf(path: AttributePath, leaf: Leaf): Condition
  valuePath(path: AttributePath, filter: Filter): Condition
}

/**
 * The logic of a filter over any resource type: `and`, `or`, `not`, and `ne` as the negation
 * of `eq` (so it holds where the attribute is absent), with leaves left to the translation.
 */
export function translateFilter(filter: Filter, translation: FilterTranslation): Condition {
  switch (filter.kind) {
    case 'and':
      return and(translateFilter(filter.left, translation), translateFilter(filter.right, translation))
    case 'or':
      return or(translateFilter(filter.left, translation), translateFilter(filter.right, translation))
    case 'not':
      return not(translateFilter(filter.filter, translation))
    case 'present':
      return translation.leaf(filter.path, { kind: 'present' })
    case 'compare':
      if (filter.operator === 'ne')
        return not(translation.leaf(filter.path, { kind: 'compare', operator: 'eq', value: filter.value }))
      return translation.leaf(filter.path, {
        kind: 'compare',
        operator: filter.operator,
        value: filter.value,
      })
    case 'valuePath':
      return translation.valuePath(filter.path, filter.filter)
  }
}
