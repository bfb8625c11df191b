import { InvalidArgumentError } from 'commander'

/**
 * Option parsers. A malformed value is a usage error (exit 2) reported by commander with the
 * option's name, never a silent fallback: `--expires-in-days abc` must not mint a token that
 * never expires.
 */
export function integerIn(minimum: number, maximum: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim()
    const parsed = Number(trimmed)
    if (!/^-?\d+$/.test(trimmed) || parsed < minimum || parsed > maximum)
      throw new InvalidArgumentError(`expected an integer from ${minimum} to ${maximum}.`)
    return parsed
  }
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** `--claim URI=VALUE`, repeatable. Claim URIs contain ':' and '/' but never '='; the value may be empty. */
export function claim(value: string, previous: Record<string, string>): Record<string, string> {
  const equals = value.indexOf('=')
  if (equals <= 0) throw new InvalidArgumentError('expected URI=VALUE.')
  return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) }
}
