import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseFilter } from '../../src/scim/filter/parser.ts'
import { attributeKnownToNone, restrictToType } from '../../src/scim/filter/restrict.ts'
import { groupRegistry, userRegistry } from '../../src/scim/schema/registry.ts'

/** The filter as Groups read it: user-only attributes have no value there. */
const forGroups = (text: string) => restrictToType(parseFilter(text), groupRegistry)

describe('a filter across resource types (root search)', () => {
  it('keeps the leaves a type has, untouched', () => {
    const filter = parseFilter('displayName eq "a" and members pr')
    assert.deepEqual(restrictToType(filter, groupRegistry), filter)
  })

  it('reads an attribute the type lacks as having no value', () => {
    assert.equal(forGroups('userName eq "a"'), false)
    assert.equal(forGroups('userName co "a"'), false)
    assert.equal(forGroups('userName gt "a"'), false)
    assert.equal(forGroups('userName pr'), false)
    assert.equal(forGroups('emails[type eq "work"]'), false)
    assert.equal(forGroups('userName ne "a"'), true, 'a missing value differs from any value')
    assert.equal(forGroups('userName eq null'), true)
    assert.equal(forGroups('userName ne null'), false)
  })

  it('folds and, or and not around the constants', () => {
    assert.equal(forGroups('not (userName pr)'), true)
    assert.equal(forGroups('userName pr and displayName eq "a"'), false)
    assert.deepEqual(forGroups('userName pr or displayName eq "a"'), parseFilter('displayName eq "a"'))
    assert.deepEqual(forGroups('not (userName pr) and displayName eq "a"'), parseFilter('displayName eq "a"'))
    assert.equal(forGroups('not (userName pr) or displayName eq "a"'), true)
    assert.deepEqual(forGroups('not (displayName eq "a" and userName pr)'), true)
    assert.deepEqual(
      forGroups('not (displayName eq "a" or userName pr)'),
      parseFilter('not (displayName eq "a")'),
    )
  })

  it('names an attribute no searched type has', () => {
    const registries = [userRegistry, groupRegistry]
    assert.equal(attributeKnownToNone(parseFilter('userName pr or members pr'), registries), undefined)
    assert.equal(attributeKnownToNone(parseFilter('userName pr or shoeSize gt 40'), registries), 'shoeSize')
  })
})
