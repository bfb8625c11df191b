import type { ConfigProblem } from './config-error.ts'

const SECTION = 'identity_mgt.password_reset_by_admin'

/** The reference server's switches, and the reset mode each one selects. */
const switches = {
  enable_emailed_link_based_reset: 'email-link',
  enable_emailed_otp_based_reset: 'email-otp',
  enable_offline_otp_based_reset: 'offline-otp',
} as const

type SwitchName = keyof typeof switches

const isSwitch = (key: string): key is SwitchName => Object.hasOwn(switches, key)

/**
 * Reads the reference server's `[identity_mgt.password_reset_by_admin]` section, so that a
 * deployment's existing configuration works as is, and turns it into `reset.mode`. The
 * reference server accepts several switches at once and then silently breaks the flow;
 * here more than one `true`, a switch that is not a boolean, an unknown key, or a `reset.mode`
 * that says otherwise is refused at start with the reason.
 */
export function translateCompatibleKeys(data: Record<string, unknown>, problems: ConfigProblem[]): void {
  const identity = data.identity_mgt
  if (identity === undefined) return
  delete data.identity_mgt
  if (!isTable(identity)) {
    problems.push({ key: 'identity_mgt', source: 'config file', reason: 'must be a table' })
    return
  }
  for (const key of Object.keys(identity))
    if (key !== 'password_reset_by_admin')
      problems.push({ key: `identity_mgt.${key}`, source: 'config file', reason: 'unknown key' })
  const section = identity.password_reset_by_admin
  if (section === undefined) return
  if (!isTable(section)) {
    problems.push({ key: SECTION, source: 'config file', reason: 'must be a table' })
    return
  }
  const enabled: SwitchName[] = []
  for (const [key, value] of Object.entries(section)) {
    if (!isSwitch(key)) {
      problems.push({
        key: `${SECTION}.${key}`,
        source: 'config file',
        reason: `unknown key; the switches are ${Object.keys(switches).join(', ')}`,
      })
      continue
    }
    if (typeof value !== 'boolean') {
      problems.push({ key: `${SECTION}.${key}`, source: 'config file', reason: 'must be true or false' })
      continue
    }
    if (value) enabled.push(key)
  }
  if (enabled.length > 1) {
    problems.push({
      key: SECTION,
      source: 'config file',
      reason: `${enabled.join(' and ')} are all true; exactly one reset mode can apply, so set only one of them to true`,
    })
    return
  }
  const [only] = enabled
  if (!only) return
  const mode = switches[only]
  const reset = data.reset === undefined ? {} : data.reset
  if (!isTable(reset)) return
  if (reset.mode !== undefined && reset.mode !== mode) {
    problems.push({
      key: 'reset.mode',
      source: 'config file',
      reason: `is ${JSON.stringify(reset.mode)} but ${SECTION}.${only} = true selects ${mode}; keep one of the two`,
    })
    return
  }
  data.reset = { ...reset, mode }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
