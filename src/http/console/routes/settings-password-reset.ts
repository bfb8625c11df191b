import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  type ResetPolicySettings,
  resetKeySchema,
  resetSettingKeys,
  serverResetSettings,
} from '../../../admin/policies/reset-policy-settings.ts'
import type { PolicyView } from '../../../admin/policies/tenant-policy-service.ts'
import { configSchema } from '../../../config/schema.ts'
import type { Container } from '../../../container.ts'
import { resetPromptSettings } from '../../../flows/reset-prompt/settings.ts'
import { formField } from '../../pages/kit.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { checkbox, type FieldRef, settingsNav, sourceHint, wholeNumber, yesNo } from './settings-forms.ts'
import { registerSettingsPage } from './settings-page-routes.ts'

type Key = keyof ResetPolicySettings

const PAGE = '/settings/password-reset'

/** The reset methods, as an administrator chooses between them. */
const modes = [
  {
    value: 'email-link',
    label: 'Email a reset link',
    explanation: 'The user receives a single-use link by email and chooses a new password there.',
  },
  {
    value: 'email-otp',
    label: 'Email a one-time password',
    explanation: 'The user receives a code by email, signs in with it once and sets a new password.',
  },
  {
    value: 'offline-otp',
    label: 'One-time password handed over by an administrator',
    explanation:
      'Nothing is emailed: an administrator reads the code in the console and gives it to the user.',
  },
] as const

const otpAlphabets = [
  { value: 'upper-alnum', label: 'Upper-case letters and digits' },
  { value: 'digits', label: 'Digits only' },
  { value: 'alnum', label: 'Letters and digits' },
]

const labels: Record<Key, string> = {
  mode: 'Reset method',
  otpLength: 'One-time password length',
  otpCharacters: 'One-time password characters',
  otpLifetimeMinutes: 'One-time password lifetime (minutes)',
  linkLifetimeMinutes: 'Reset link lifetime (minutes)',
  maxOtpAttempts: 'Wrong one-time passwords allowed',
  revokeSessions: 'End the user’s sessions when a reset is forced',
  sendConfirmation: 'Email the user when the new password is set',
  loginRevealsPending: 'Let the sign-in page say that a reset is pending',
}

const explanations: Partial<Record<Key, string>> = {
  otpLength: 'Characters in each code.',
  otpCharacters:
    'Upper-case letters and digits leave out the look-alikes 0/O and 1/I; letters and digits use both cases.',
  otpLifetimeMinutes: 'How long a code works. There is no "never".',
  linkLifetimeMinutes: 'How long an emailed link works. There is no "never".',
  maxOtpAttempts: 'Wrong codes accepted before the code stops working.',
  loginRevealsPending:
    'Off: a user with a pending reset sees the generic "Login failed!" message, which tells an attacker nothing.',
}

const keys = Object.keys(resetSettingKeys) as Key[]
const numericKeys = ['otpLength', 'otpLifetimeMinutes', 'linkLifetimeMinutes', 'maxOtpAttempts'] as const
const booleanKeys = ['revokeSessions', 'sendConfirmation', 'loginRevealsPending'] as const

/** The form's element id of a setting: the mode's first radio button, the key itself otherwise. */
const fieldIdOf = (key: Key) => (key === 'mode' ? `mode-${modes[0].value}` : key)

function fieldOf(pointer: string): FieldRef | undefined {
  const key = pointer.slice(1) as Key
  return Object.hasOwn(labels, key) ? { id: fieldIdOf(key), label: labels[key] } : undefined
}

/** What the form shows: the values as text (a refused form shows what was typed). */
type FormValues = Record<Key, string | boolean>

function valuesOf(settings: ResetPolicySettings): FormValues {
  return {
    ...settings,
    otpLength: String(settings.otpLength),
    otpLifetimeMinutes: String(settings.otpLifetimeMinutes),
    linkLifetimeMinutes: String(settings.linkLifetimeMinutes),
    maxOtpAttempts: String(settings.maxOtpAttempts),
  }
}

function readForm(body: unknown): { values: FormValues; submitted: Partial<ResetPolicySettings> } {
  const values = {} as FormValues
  const submitted: Record<string, unknown> = {}
  values.mode = formField(body, 'mode', 32)
  submitted.mode = values.mode
  values.otpCharacters = formField(body, 'otpCharacters', 32)
  submitted.otpCharacters = values.otpCharacters
  for (const key of numericKeys) {
    values[key] = formField(body, key, 32)
    submitted[key] = wholeNumber(values[key])
  }
  for (const key of booleanKeys) {
    values[key] = checkbox(body, key)
    submitted[key] = values[key]
  }
  return { values, submitted: submitted as Partial<ResetPolicySettings> }
}

/** `reset.otp_length`: the configuration key a setting follows. */
const configKeyOf = (key: Key) => `reset.${resetSettingKeys[key]}`

function shown(value: unknown): string {
  return typeof value === 'boolean' ? yesNo(value) : String(value)
}

/**
 * `/settings/password-reset`: the tenant's forced-reset policy (the reset method, the one-time
 * password's shape and lifetimes, what happens around a reset), each value marked as the
 * tenant's own or the server configuration's; and the reset-password prompt, which only the
 * server configuration sets, shown read-only with where it is set.
 */
export function passwordResetSettingsPage(container: Container, kit: ConsoleKit) {
  const { tenantPolicies, config } = container
  const server = serverResetSettings(config)
  const prompt = resetPromptSettings(config)
  const promptEnv = configSchemaEnv()

  function render(
    request: FastifyRequest,
    reply: FastifyReply,
    view: PolicyView<ResetPolicySettings>,
    values: FormValues,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    const overridden = (key: Key) => Object.hasOwn(view.overrides, key)
    const hint = (key: Key) =>
      [explanations[key], sourceHint(overridden(key), configKeyOf(key), shown(server[key]))]
        .filter(Boolean)
        .join(' ')
    const fieldError = (key: Key) => errors?.fields[fieldIdOf(key)]
    const number = (key: (typeof numericKeys)[number]) => {
      const schema = resetKeySchema(key) as { minimum?: number; maximum?: number }
      return {
        id: key,
        label: labels[key],
        type: 'number',
        value: values[key],
        min: schema.minimum,
        max: schema.maximum,
        step: 1,
        hint: `${hint(key)} From ${schema.minimum} to ${schema.maximum}.`,
        error: fieldError(key),
        required: true,
        narrow: true,
      }
    }
    const toggle = (key: (typeof booleanKeys)[number]) => ({
      id: key,
      label: labels[key],
      type: 'checkbox',
      checked: values[key] === true,
      hint: hint(key),
      error: fieldError(key),
    })
    return kit.render(
      request,
      reply,
      'settings-password-reset',
      {
        title: 'Password reset settings',
        section: 'settings',
        settingsNav: settingsNav('password-reset'),
        errors,
        mode: {
          value: values.mode,
          options: modes,
          hint: sourceHint(overridden('mode'), configKeyOf('mode'), server.mode),
          error: fieldError('mode'),
        },
        otp: [
          number('otpLength'),
          {
            id: 'otpCharacters',
            label: labels.otpCharacters,
            type: 'select',
            value: values.otpCharacters,
            options: otpAlphabets,
            hint: hint('otpCharacters'),
            error: fieldError('otpCharacters'),
          },
          number('otpLifetimeMinutes'),
          number('maxOtpAttempts'),
        ],
        link: [number('linkLifetimeMinutes')],
        around: booleanKeys.map(toggle),
        overrideCount: Object.keys(view.overrides).length,
        settingCount: keys.length,
        prompt: promptFacts(prompt, promptEnv),
      },
      status,
    )
  }

  return async (app: FastifyInstance) =>
    registerSettingsPage(app, kit, {
      path: PAGE,
      permission: 'config:write',
      summaries: {
        page: 'Console: forced password reset settings',
        save: 'Console: save the forced password reset settings',
        defaults: 'Console: return the reset settings to the server configuration',
      },
      notices: { saved: 'settings-reset-saved', defaults: 'settings-reset-defaults' },
      view: (tenant) => tenantPolicies.viewResetPolicy(tenant),
      update: (tenant, changes, actor) => tenantPolicies.updateResetPolicy(tenant, changes, actor),
      valuesOf,
      readForm,
      fieldOf,
      render,
    })
}

/** The environment variable of each `reset_prompt` key, from the one configuration schema. */
function configSchemaEnv(): Record<string, string> {
  const keys = configSchema.properties.reset_prompt.properties
  return Object.fromEntries(
    Object.entries(keys).map(([key, schema]) => [key, String((schema as { env?: string }).env ?? '')]),
  )
}

/** The reset-password prompt's settings as read-only facts, each with where it is set. */
function promptFacts(prompt: ReturnType<typeof resetPromptSettings>, env: Record<string, string>) {
  const fact = (label: string, value: string, key: string) => ({
    label,
    value,
    key: `reset_prompt.${key}`,
    env: env[key] ?? '',
  })
  return [
    fact('Prompt at sign-in', prompt.enabled ? 'on' : 'off', 'enabled'),
    fact(
      'Attribute that asks for a new password',
      prompt.source === 'claims' ? prompt.claimUri : prompt.attribute,
      'attribute',
    ),
    fact(
      'Where the attribute is read',
      prompt.source === 'claims' ? "The user's claims" : 'The sign-in request’s context',
      'attribute_source',
    ),
    fact(
      'The user may skip the prompt',
      prompt.allowSkip ? 'yes (never for an expired password)' : 'no',
      'allow_skip',
    ),
    fact(
      'Extra pattern for the new password',
      prompt.pattern ? prompt.pattern.source : 'none',
      'regular_expression',
    ),
  ]
}
