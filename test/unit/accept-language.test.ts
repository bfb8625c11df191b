import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { rankedLocaleTags } from '../../src/http/accept-language.ts'
import { negotiateLocale } from '../../src/http/pages/messages/catalogue.ts'

describe('Accept-Language is ranked once for the pages and the login API', () => {
  it('orders tags by quality, equal ones in the order sent', () => {
    assert.deepEqual(rankedLocaleTags('de;q=0.9, fr-CA, en;q=0.5'), ['fr-CA', 'de', 'en'])
    assert.deepEqual(rankedLocaleTags('pt-BR;q=0.8, ja;q=0.8, ko'), ['ko', 'pt-BR', 'ja'])
    assert.deepEqual(rankedLocaleTags('fr ; q=0.5 , de'), ['de', 'fr'])
  })

  it('leaves out the wildcard, empty entries, q=0 and unreadable quality numbers', () => {
    assert.deepEqual(rankedLocaleTags('ja, *;q=0.1'), ['ja'])
    assert.deepEqual(rankedLocaleTags('fr;q=0, , es;q=1.2.3, it'), ['it'])
    // A parameter that is no quality value at all is ignored: the tag keeps quality 1.
    assert.deepEqual(rankedLocaleTags('de;q=0.5, ko;level=1'), ['ko', 'de'])
    assert.deepEqual(rankedLocaleTags(''), [])
    assert.deepEqual(rankedLocaleTags(undefined), [])
  })

  it('keeps tags as sent, for each caller to match by its own rules', () => {
    assert.deepEqual(rankedLocaleTags('PT-br, En'), ['PT-br', 'En'])
  })

  it('reads only the first 20 entries of a long header', () => {
    const header = [...Array.from({ length: 20 }, (_, index) => `x${index};q=0.5`), 'fr'].join(',')
    const ranked = rankedLocaleTags(header)
    assert.equal(ranked.length, 20)
    assert.ok(!ranked.includes('fr'))
  })

  it('gives the pages the best locale they have, else English', () => {
    assert.equal(negotiateLocale('EN-gb;q=0.7, ja'), 'en')
    assert.equal(negotiateLocale('ja, ko;q=0.5'), 'en')
    assert.equal(negotiateLocale('en;q=0'), 'en')
    assert.equal(negotiateLocale(undefined), 'en')
  })
})
