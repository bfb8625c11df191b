import { configSchema } from './schema.ts'

export type FieldKind = 'string' | 'integer' | 'boolean' | 'enum'

/** One leaf of the configuration schema, flattened for the loader and the docs generator. */
export interface ConfigField {
  path: string
  section: string
  key: string
  kind: FieldKind
  env: string
  description: string
  defaultValue: string | number | boolean
  sensitive: boolean
  choices?: string[]
  minimum?: number
  maximum?: number
}

interface LeafSchema {
  type?: string
  anyOf?: Array<{ const?: string }>
  env?: string
  description?: string
  default?: string | number | boolean
  sensitive?: boolean
  minimum?: number
  maximum?: number
}

function kindOf(leaf: LeafSchema): FieldKind {
  if (leaf.anyOf) return 'enum'
  if (leaf.type === 'integer') return 'integer'
  if (leaf.type === 'boolean') return 'boolean'
  return 'string'
}

function flatten(): ConfigField[] {
  const fields: ConfigField[] = []
  const sections = configSchema.properties as Record<string, { properties: Record<string, LeafSchema> }>
  for (const [section, sectionSchema] of Object.entries(sections)) {
    for (const [key, leaf] of Object.entries(sectionSchema.properties)) {
      const kind = kindOf(leaf)
      const field: ConfigField = {
        path: `${section}.${key}`,
        section,
        key,
        kind,
        env: leaf.env ?? `REKEY_${section}_${key}`.toUpperCase(),
        description: leaf.description ?? '',
        defaultValue: leaf.default ?? '',
        sensitive: leaf.sensitive === true,
      }
      if (kind === 'enum') field.choices = (leaf.anyOf ?? []).map((option) => String(option.const))
      if (leaf.minimum !== undefined) field.minimum = leaf.minimum
      if (leaf.maximum !== undefined) field.maximum = leaf.maximum
      fields.push(field)
    }
  }
  return fields
}

export const configFields: readonly ConfigField[] = flatten()
