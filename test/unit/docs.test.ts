import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { renderConfigurationReference } from '../../src/config/reference-doc.ts'
import { errorCatalog } from '../../src/errors/codes.ts'
import { auditActions } from '../../src/observability/audit.ts'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('documentation stays true', () => {
  it('docs/configuration.md is generated from the current schema (run `npm run docs:config`)', () => {
    assert.equal(read('docs/configuration.md'), renderConfigurationReference())
  })

  it('docs/errors.md lists every error code with its status', () => {
    const doc = read('docs/errors.md')
    for (const [code, { status }] of Object.entries(errorCatalog)) {
      assert.match(doc, new RegExp(`\\| \`${code.replaceAll('.', '\\.')}\` \\| ${status} \\|`), code)
    }
  })

  it('docs/events.md lists every audit action', () => {
    const doc = read('docs/events.md')
    for (const action of auditActions) assert.ok(doc.includes(`\`${action}\``), action)
  })
})
