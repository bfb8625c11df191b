const htmlSpecial = /[&<>"']/
const htmlSpecials = /[&<>"']/g
const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/**
 * Makes text safe in HTML element content and in quoted attribute values (either quote). The
 * threat is markup injection through values a user controls, such as their name claims:
 * `<script>`, or a quote that closes an `href` and adds attributes.
 */
export function escapeHtml(value: string): string {
  // Most values (names, codes, links) need no escaping; skip building a new string for them.
  return htmlSpecial.test(value) ? value.replace(htmlSpecials, (char) => entities[char]!) : value
}
