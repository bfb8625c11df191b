/** A rule of the password policy that a candidate password fails, worded for its owner. */
export interface PolicyViolation {
  rule: string
  message: string
}
