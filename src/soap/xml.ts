import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { escapeHtml } from '../notifications/templates/html-escape.ts'

/** An element with its namespace resolved; text is the decoded character data, trimmed. */
export interface XmlElement {
  namespace: string
  local: string
  /** Attributes by resolved name: `{namespace}local`, or `local` when unqualified. */
  attributes: Record<string, string>
  children: XmlElement[]
  text: string
}

/** Why a document was refused; the caller turns it into its own error. */
export class XmlRefused extends Error {}

// Threat: XXE (an external entity reads a server file or URL) and entity expansion (a
// "billion laughs" document). Declarations are refused outright rather than ignored, so a
// hostile document fails loudly and nothing downstream ever sees an entity it defined.
const declaration = /<!\s*(?:DOCTYPE|ENTITY)/i

const predefined: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
const reference = /&(#x[0-9a-f]+|#[0-9]+|[a-z][a-z0-9]*);|&/gi

/** Characters XML 1.0 allows (production [2]); anything else cannot appear even escaped. */
const notXmlChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/**
 * Entity processing is off in the parser, so references arrive as written. Only the five
 * predefined entities and character references exist in a document without a DTD; any
 * other name is refused.
 */
function decodeReferences(value: string): string {
  if (!value.includes('&')) return value
  return value.replace(reference, (whole, name: string | undefined) => {
    if (name === undefined) throw new XmlRefused('A bare "&" must be written as &amp;.')
    if (name.startsWith('#')) {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1))
      const char = code <= 0x10ffff ? String.fromCodePoint(code) : ''
      if (char === '' || char.replace(notXmlChar, '') === '')
        throw new XmlRefused(`${whole} is not an XML character.`)
      return char
    }
    const known = predefined[name]
    if (known === undefined) throw new XmlRefused(`Undefined entity ${whole}.`)
    return known
  })
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
  // A SOAP request nests a handful of levels; the bound also keeps the tree walk below shallow.
  maxNestedTags: 32,
})

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> }

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace'

function split(qualified: string): [prefix: string | undefined, local: string] {
  const colon = qualified.indexOf(':')
  return colon === -1 ? [undefined, qualified] : [qualified.slice(0, colon), qualified.slice(colon + 1)]
}

function build(node: OrderedNode, scope: ReadonlyMap<string, string>): XmlElement {
  const name = Object.keys(node).find((key) => key !== ':@')!
  const raw = node[':@'] ?? {}
  let inScope = scope
  const attributes: Array<[string, string]> = []
  for (const [key, value] of Object.entries(raw)) {
    const decoded = decodeReferences(value)
    if (key === 'xmlns' || key.startsWith('xmlns:')) {
      if (inScope === scope) inScope = new Map(scope)
      ;(inScope as Map<string, string>).set(key === 'xmlns' ? '' : key.slice(6), decoded)
    } else attributes.push([key, decoded])
  }
  const resolve = (prefix: string | undefined, forElement: boolean): string => {
    if (prefix === undefined) return forElement ? (inScope.get('') ?? '') : ''
    if (prefix === 'xml') return XML_NAMESPACE
    const namespace = inScope.get(prefix)
    if (namespace === undefined) throw new XmlRefused(`Undeclared namespace prefix "${prefix}".`)
    return namespace
  }
  const [prefix, local] = split(name)
  const element: XmlElement = {
    namespace: resolve(prefix, true),
    local,
    attributes: {},
    children: [],
    text: '',
  }
  for (const [key, value] of attributes) {
    const [attributePrefix, attributeLocal] = split(key)
    const namespace = resolve(attributePrefix, false)
    element.attributes[namespace ? `{${namespace}}${attributeLocal}` : attributeLocal] = value
  }
  const text: string[] = []
  for (const child of (node[name] as OrderedNode[] | undefined) ?? []) {
    if ('#text' in child) text.push(decodeReferences(String(child['#text'])))
    else if ('#cdata' in child)
      text.push(
        ((child['#cdata'] as OrderedNode[]) ?? []).map((part) => String(part['#text'] ?? '')).join(''),
      )
    else element.children.push(build(child, inScope))
  }
  element.text = text.join('')
  return element
}

/**
 * Parses a document into namespace-resolved elements. Refuses (XmlRefused) any DOCTYPE or
 * ENTITY declaration, documents that are not well-formed, undefined entities and undeclared
 * prefixes. The caller bounds the size (the server's body limit).
 */
export function parseXml(text: string): XmlElement {
  if (declaration.test(text)) throw new XmlRefused('DOCTYPE and ENTITY declarations are not accepted.')
  const validity = XMLValidator.validate(text)
  if (validity !== true)
    throw new XmlRefused(`Not well-formed XML: ${validity.err.msg} (line ${validity.err.line}).`)
  let nodes: OrderedNode[]
  try {
    nodes = parser.parse(text) as OrderedNode[]
  } catch (error) {
    // The parser's own limits (nesting depth) throw plain errors: still the sender's fault.
    throw new XmlRefused(`Not acceptable XML: ${error instanceof Error ? error.message : String(error)}.`)
  }
  const roots = nodes.filter((node) => !('#text' in node))
  if (roots.length !== 1) throw new XmlRefused('An XML document has exactly one root element.')
  return build(roots[0]!, new Map())
}

/** Child elements with this local name (any namespace). */
export function childrenNamed(element: XmlElement, local: string): XmlElement[] {
  return element.children.filter((child) => child.local === local)
}

/**
 * Text and attribute values written into XML: the markup characters escaped, and characters
 * XML 1.0 cannot carry at all (most control characters) replaced by U+FFFD, so a stored
 * claim value can never make the answer ill-formed.
 */
export function escapeXml(value: string): string {
  return escapeHtml(value.replace(notXmlChar, '\uFFFD'))
}
