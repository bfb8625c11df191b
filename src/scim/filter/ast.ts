/**
 * The SCIM filter and path syntax tree (RFC 7644 §3.4.2.2 and §3.5.2). Parsing produces it,
 * the SQL translator and the in-memory evaluator consume it; neither re-reads filter text.
 */

/** An attribute reference: `userName`, `name.givenName`, `urn:…:User:emails.value`. */
export interface AttributePath {
  /** Schema URN when the filter spelled one, lower-cased; otherwise undefined. */
  schema?: string | undefined
  /** Attribute name as written (matching is case-insensitive; keep the spelling for messages). */
  attribute: string
  /** Sub-attribute name as written, for `name.givenName` and `emails.value`. */
  subAttribute?: string | undefined
}

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'

/** A literal of the grammar: JSON string, number, `true`, `false` or `null`. */
export type FilterValue = string | number | boolean | null

export type Filter =
  | { kind: 'compare'; path: AttributePath; operator: CompareOperator; value: FilterValue }
  | { kind: 'present'; path: AttributePath }
  | { kind: 'and'; left: Filter; right: Filter }
  | { kind: 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  /**
   * `emails[type eq "work" and value co "@x"]`: some element of the multi-valued attribute
   * `path` matches `filter`, whose paths name sub-attributes of that element (their
   * `attribute` is the sub-attribute name; they have no `subAttribute`).
   */
  | { kind: 'valuePath'; path: AttributePath; filter: Filter }

/**
 * A PATCH operation path (RFC 7644 §3.5.2): `attr`, `attr.sub`, `urn:…:attr`,
 * `attr[filter]`, `attr[filter].sub`.
 */
export interface PatchPath {
  path: AttributePath
  /** The value filter selecting elements of a multi-valued attribute. */
  valueFilter?: Filter | undefined
  /** The sub-attribute after a value filter: `emails[type eq "work"].value`. */
  subAttribute?: string | undefined
}
