/**
 * The `userQuery` filter of what a person typed on the "Find your account" page.
 *
 * Threat: filter injection. The typed text is only ever the value of one SCIM (JSON) string
 * literal, so `x" or userName pr` names an account called exactly that rather than widening
 * the query. An address (it has an `@`) is looked up as a user name *or* an email when the
 * tenant lets queries name `emails` — user names are often addresses too; should the two name
 * different accounts, the query is ambiguous and finds none. Anything else is a user name.
 */
export function accountQuery(typed: string, queryableAttributes: readonly string[]): string {
  const value = scimString(typed)
  const byEmail =
    typed.includes('@') && queryableAttributes.some((attribute) => attribute.toLowerCase() === 'emails')
  return byEmail ? `userName eq ${value} or emails eq ${value}` : `userName eq ${value}`
}

/** A SCIM string literal holding `value`: the JSON string grammar, every special character escaped. */
export function scimString(value: string): string {
  return JSON.stringify(value)
}
