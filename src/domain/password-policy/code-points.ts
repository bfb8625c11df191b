/**
 * Counts Unicode code points, the unit NIST SP 800-63B prescribes for password length (an emoji
 * such as U+1F600 is one; a joined emoji sequence is several). Counting stops once `limit` is
 * passed, so an over-long input costs no more than the limit and allocates nothing.
 */
export function countCodePoints(value: string, limit = Number.POSITIVE_INFINITY): number {
  let count = 0
  for (let index = 0; index < value.length && count <= limit; index++) {
    const unit = value.charCodeAt(index)
    // A high surrogate followed by a low one is a single code point; a lone surrogate counts as one.
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < value.length) {
      const next = value.charCodeAt(index + 1)
      if (next >= 0xdc00 && next <= 0xdfff) index++
    }
    count++
  }
  return count
}

/** Reverses by code points, so a name with characters outside the BMP reverses into valid text. */
export function reverseCodePoints(value: string): string {
  return Array.from(value).reverse().join('')
}
