import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { errorCatalog } from '../../src/errors/codes.ts'
import { auditActions } from '../../src/observability/audit.ts'
import { claimsOf, userAttributeMappings } from '../../src/scim/users/user-mapping.ts'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

/** Codes in the first column of a Markdown table: "| `code` | …". */
function tableCodes(doc: string): string[] {
  return [...doc.matchAll(/^\| `([a-z0-9.:-]+)` \|/gm)].map((match) => match[1]!)
}

describe('documentation stays true', () => {
  it('docs/errors.md lists every error code of the catalog with its status', () => {
    const doc = read('docs/errors.md')
    for (const [code, { status }] of Object.entries(errorCatalog)) {
      assert.match(doc, new RegExp(`^\\| \`${code.replaceAll('.', '\\.')}\` \\| ${status} \\|`, 'm'), code)
    }
  })

  it('docs/errors.md lists no code the catalog does not have', () => {
    const known = new Set(Object.keys(errorCatalog))
    for (const code of tableCodes(read('docs/errors.md'))) assert.ok(known.has(code), `stale code ${code}`)
  })

  it('docs/events.md lists every audit action, and no other', () => {
    const doc = read('docs/events.md')
    for (const action of auditActions) assert.ok(doc.includes(`| \`${action}\` |`), action)
    const known = new Set<string>(auditActions)
    for (const action of tableCodes(doc)) assert.ok(known.has(action), `stale action ${action}`)
  })

  it('docs/scim.md names every claim the SCIM mapping uses, and no claim it does not', () => {
    const doc = read('docs/scim.md')
    const mapped = new Set(
      Object.values(userAttributeMappings).flatMap((bySchema) => Object.values(bySchema).flatMap(claimsOf)),
    )
    const written = (uri: string) => {
      // The table abbreviates families of claims: `…/emails.home`, `http://wso2.org/claims/ims.<type>`.
      const name = uri.slice('http://wso2.org/claims/'.length)
      return doc.includes(`\`${uri}\``) || doc.includes(`\`…/${name}\``) || /^ims\.|^addresses\./.test(name)
    }
    for (const uri of mapped) assert.ok(written(uri), `docs/scim.md does not name ${uri}`)
    for (const match of doc.matchAll(/`(http:\/\/wso2\.org\/claims\/[^`<]+)`/g)) {
      assert.ok(mapped.has(match[1]!), `docs/scim.md names ${match[1]}, which SCIM does not map`)
    }
  })
})
