import { type Command, InvalidArgumentError, Option } from 'commander'
import {
  type ResetPolicySettings,
  resetKeySchema,
  resetSettingKeys,
} from '../../admin/policies/reset-policy-settings.ts'
import type { SelfServiceSettings } from '../../admin/policies/selfservice-settings.ts'
import type { PolicyView } from '../../admin/policies/tenant-policy-service.ts'
import type { Container } from '../../container.ts'
import { type PasswordPolicy, passwordPolicyLimits } from '../../domain/password-policy/index.ts'
import { AppError } from '../../errors/app-error.ts'
import { splitList } from '../../flows/selfservice/stages.ts'
import { type Actor, cliActor } from '../../observability/audit.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { integerIn } from '../arguments.ts'
import { type GlobalOptions, withContext } from '../context.ts'
import type { Output } from '../output.ts'

/** One setting of a policy as the command line spells it: `otpLength` is `--otp-length <n>`. */
interface SettingOption {
  key: string
  valueName: string
  description: string
  parse?: (value: string) => unknown
  choices?: readonly string[]
}

/** The commands of one policy: where it is read and written, and its settings. */
interface PolicyCommands {
  name: string
  title: string
  settings: SettingOption[]
  view(container: Container, tenant: TenantRow): Promise<PolicyView<object>>
  update(
    container: Container,
    tenant: TenantRow,
    changes: Record<string, unknown>,
    actor: Actor,
  ): Promise<PolicyView<object>>
}

const flagOf = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
const keyOf = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())

/** Booleans are spelled out: `--revoke-sessions false` reads better in a script than a negated flag. */
function booleanValue(value: string): boolean {
  const normalized = value.trim().toLowerCase()
  if (normalized === 'true') return true
  if (normalized === 'false') return false
  throw new InvalidArgumentError('expected true or false.')
}

function textUpTo(maximum: number): (value: string) => string {
  return (value) => {
    if ([...value].length > maximum) throw new InvalidArgumentError(`expected at most ${maximum} characters.`)
    return value
  }
}

/**
 * A reset setting's option from the configuration key it shares its schema with: the command
 * line accepts exactly what the configuration file and the admin API accept.
 */
function resetSetting(key: keyof ResetPolicySettings, description: string): SettingOption {
  const schema = resetKeySchema(key) as {
    type?: string
    minimum?: number
    maximum?: number
    anyOf?: Array<{ const?: unknown }>
  }
  if (schema.anyOf) {
    const choices = schema.anyOf.map((member) => String(member.const))
    return { key, valueName: 'value', description, choices }
  }
  if (schema.type === 'integer') {
    const { minimum = 0, maximum = Number.MAX_SAFE_INTEGER } = schema
    return {
      key,
      valueName: 'n',
      description: `${description} (${minimum}-${maximum})`,
      parse: integerIn(minimum, maximum),
    }
  }
  if (schema.type === 'boolean') return { key, valueName: 'true|false', description, parse: booleanValue }
  throw new Error(`no command-line form for the reset setting ${key}`)
}

/** Every reset setting has an option: a setting added later does not compile until it has one. */
const resetDescriptions = {
  mode: 'how a user forced to reset learns it',
  otpLength: 'characters in a one-time password',
  otpCharacters: 'one-time password alphabet',
  otpLifetimeMinutes: 'minutes a one-time password works',
  linkLifetimeMinutes: 'minutes an emailed link works',
  maxOtpAttempts: 'wrong one-time passwords before the code stops working',
  revokeSessions: "end the user's sessions when a reset is forced",
  sendConfirmation: 'email the user when the new password is set',
  loginRevealsPending: 'let sign-in answers say that a reset is pending',
} satisfies Record<keyof ResetPolicySettings, string>

const resetSettings: SettingOption[] = (
  Object.keys(resetSettingKeys) as Array<keyof ResetPolicySettings>
).map((key) => resetSetting(key, resetDescriptions[key]))

const limits = passwordPolicyLimits
const bounded = (key: keyof typeof limits & keyof PasswordPolicy, description: string): SettingOption => {
  const { min, max } = limits[key] as { min: number; max: number }
  return { key, valueName: 'n', description: `${description} (${min}-${max})`, parse: integerIn(min, max) }
}

const passwordSettings: SettingOption[] = [
  bounded('minLength', 'shortest password, in characters'),
  bounded('maxLength', 'longest password, in characters'),
  {
    key: 'pattern',
    valueName: 're',
    description: 'regular expression (Unicode) a password must match somewhere; "" for none',
    parse: textUpTo(limits.patternLength),
  },
  {
    key: 'patternDescription',
    valueName: 'text',
    description: 'what the pattern asks, shown to users (required with a pattern)',
    parse: textUpTo(limits.patternDescriptionLength),
  },
  {
    key: 'forbidUserName',
    valueName: 'true|false',
    description: 'refuse passwords containing the user name',
    parse: booleanValue,
  },
  bounded('historyCount', 'earlier passwords that may not be reused, 0 for none'),
  {
    key: 'checkCommonPasswords',
    valueName: 'true|false',
    description: 'refuse passwords from the common-password list',
    parse: booleanValue,
  },
  bounded('maxAgeDays', 'days before a password must be replaced, 0 for never'),
]

/** `userQuery,emailValidation,resetStage`: a list as one argument; `""` is the empty list. */
function listValue(value: string): string[] {
  return splitList(value)
}

const selfServiceSettings: SettingOption[] = [
  {
    key: 'stages',
    valueName: 'list',
    description:
      'comma-separated stage pipeline: parameters, userQuery, emailValidation, kbaSecurityAnswerVerificationStage, resetStage ("" turns self-service off)',
    parse: listValue,
  },
  {
    key: 'queryableAttributes',
    valueName: 'list',
    description: 'comma-separated attributes a query may name: userName, emails, phoneNumbers, externalId',
    parse: listValue,
  },
]

const policies: PolicyCommands[] = [
  {
    name: 'reset',
    title: 'forced-reset policy',
    settings: resetSettings,
    view: (container, tenant) => container.tenantPolicies.viewResetPolicy(tenant),
    update: (container, tenant, changes, actor) =>
      container.tenantPolicies.updateResetPolicy(tenant, changes as Partial<ResetPolicySettings>, actor),
  },
  {
    name: 'password',
    title: 'password policy',
    settings: passwordSettings,
    view: (container, tenant) => container.tenantPolicies.viewPasswordPolicy(tenant),
    update: (container, tenant, changes, actor) =>
      container.tenantPolicies.updatePasswordPolicy(tenant, changes as Partial<PasswordPolicy>, actor),
  },
  {
    name: 'selfservice',
    title: 'self-service reset pipeline',
    settings: selfServiceSettings,
    view: (container, tenant) => container.tenantPolicies.viewSelfServicePolicy(tenant),
    update: (container, tenant, changes, actor) =>
      container.tenantPolicies.updateSelfServicePolicy(
        tenant,
        changes as Partial<SelfServiceSettings>,
        actor,
      ),
  },
]

/** Every effective value, and whether the tenant set it or it follows the server's configuration. */
function viewRows(view: PolicyView<object>) {
  const overrides = view.overrides as Record<string, unknown>
  return Object.entries(view.effective).map(([key, value]) => ({
    setting: flagOf(key),
    value: value === '' ? '""' : Array.isArray(value) ? value.join(',') || '""' : value,
    source: Object.hasOwn(overrides, key) ? 'tenant' : 'server',
  }))
}

function printView(out: Output, view: PolicyView<object>) {
  out.data(view, { columns: ['setting', 'value', 'source'], rows: viewRows(view) })
}

/** `--unset otp-length` or `--unset otpLength`: either spelling names the setting. */
function unsetKeys(settings: SettingOption[]) {
  const known = settings.map((setting) => setting.key)
  return (value: string, previous: string[] = []): string[] => {
    const key = keyOf(value.trim())
    if (!known.includes(key))
      throw new InvalidArgumentError(`expected one of ${known.map(flagOf).join(', ')}.`)
    return [...previous, key]
  }
}

/**
 * The problems of a refused policy named by the option that sets each field, as the operator
 * typed them (`--min-length`), rather than by the API's JSON pointer.
 */
function asCommandLineProblem(error: unknown): unknown {
  if (
    !(error instanceof AppError) ||
    (error.code !== 'policy.invalid' && error.code !== 'selfservice.invalid-stages')
  )
    return error
  return new AppError(
    error.code,
    {
      detail: 'The policy was not saved; nothing changed.',
      errors: (error.details.errors ?? []).map((problem) => ({
        ...problem,
        pointer: `--${flagOf(problem.pointer.replace(/^\//, ''))}`,
      })),
    },
    { cause: error },
  )
}

function registerPolicy(group: Command, policy: PolicyCommands, globals: () => GlobalOptions): void {
  const command = group.command(policy.name).description(`The tenant's ${policy.title}`)

  command
    .command('show')
    .description(
      `Show the tenant's ${policy.title}: each value, and whether the tenant set it or it follows the server`,
    )
    .action(async () => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        printView(out, await policy.view(container, await tenant()))
      })
    })

  const set = command
    .command('set')
    .description(
      `Change settings of the tenant's ${policy.title}; --unset returns a setting to the server's value`,
    )
  for (const setting of policy.settings) {
    const option = new Option(`--${flagOf(setting.key)} <${setting.valueName}>`, setting.description)
    if (setting.choices) option.choices(setting.choices)
    if (setting.parse) option.argParser(setting.parse)
    set.addOption(option)
  }
  set
    .option('--unset <settings...>', "return settings to the server's value", unsetKeys(policy.settings))
    .action(async (options: Record<string, unknown> & { unset?: string[] }, cmd: Command) => {
      const changes: Record<string, unknown> = {}
      for (const setting of policy.settings)
        if (options[setting.key] !== undefined) changes[setting.key] = options[setting.key]
      for (const key of options.unset ?? []) {
        if (Object.hasOwn(changes, key)) cmd.error(`error: --${flagOf(key)} is both set and unset`)
        changes[key] = null
      }
      if (Object.keys(changes).length === 0)
        cmd.error('error: name at least one setting to change, or --unset one')
      await withContext(globals(), async ({ container, out, tenant }) => {
        const scope = await tenant()
        const view = await policy.update(container, scope, changes, cliActor).catch((error: unknown) => {
          throw asCommandLineProblem(error)
        })
        printView(out, view)
      })
    })
}

export function registerPolicyCommands(program: Command, globals: () => GlobalOptions): void {
  const group = program
    .command('policy')
    .description("Show and change a tenant's forced-reset, password and self-service reset policies")
  for (const policy of policies) registerPolicy(group, policy, globals)
}
