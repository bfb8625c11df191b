import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { configFields } from '../../src/config/fields.ts'
import { renderConfigurationReference } from '../../src/config/reference-doc.ts'
import { configSchema } from '../../src/config/schema.ts'

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')

/** The table row of a key: the part of the section after its heading, up to the next one. */
function rowOf(section: string, key: string): string | undefined {
  const start = doc.indexOf(`## \`[${section}]\``)
  if (start === -1) return undefined
  const end = doc.indexOf('\n## ', start + 1)
  const body = doc.slice(start, end === -1 ? undefined : end)
  return body.split('\n').find((line) => line.startsWith(`| \`${key}\` |`))
}

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the current schema', () => {
    assert.ok(
      doc === renderConfigurationReference(),
      'docs/configuration.md is out of date with src/config/schema.ts: run `npm run docs:config` and commit the result',
    )
  })

  it('has a section for every schema section', () => {
    for (const section of Object.keys(configSchema.properties))
      assert.ok(doc.includes(`## \`[${section}]\``), `section [${section}] is missing`)
  })

  it('documents every key in its section with its variable, default, range or choices', () => {
    for (const field of configFields) {
      const row = rowOf(field.section, field.key)
      assert.ok(row, `${field.path} has no row`)
      assert.ok(row.includes(`\`${field.env}\``), `${field.path}: environment variable ${field.env}`)
      const shownDefault =
        field.defaultValue === ''
          ? '(empty)'
          : `\`${typeof field.defaultValue === 'string' ? JSON.stringify(field.defaultValue) : field.defaultValue}\``
      assert.ok(row.includes(shownDefault), `${field.path}: default ${shownDefault}`)
      if (field.minimum !== undefined && field.maximum !== undefined)
        assert.ok(row.includes(`${field.minimum}–${field.maximum}`), `${field.path}: range`)
      for (const choice of field.choices ?? [])
        assert.ok(row.includes(`\`${choice}\``), `${field.path}: ${choice}`)
      assert.ok(row.includes(field.description.replaceAll('|', '\\|')), `${field.path}: description`)
      assert.equal(row.includes('**Secret**'), field.sensitive, `${field.path}: secret note`)
    }
  })

  it('explains precedence and `rekey config check`', () => {
    assert.match(doc, /built-in defaults, the file, the environment/)
    assert.match(doc, /`rekey config check`/)
  })
})
