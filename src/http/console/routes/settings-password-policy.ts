import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { PolicyView } from '../../../admin/policies/tenant-policy-service.ts'
import type { Container } from '../../../container.ts'
import { type PasswordPolicy, passwordPolicyLimits } from '../../../domain/password-policy/index.ts'
import { formField } from '../../pages/kit.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { checkbox, type FieldRef, settingsNav, sourceHint, wholeNumber, yesNo } from './settings-forms.ts'
import { registerSettingsPage } from './settings-page-routes.ts'

type Key = keyof PasswordPolicy

const PAGE = '/settings/password-policy'

const labels: Record<Key, string> = {
  minLength: 'Minimum length',
  maxLength: 'Maximum length',
  pattern: 'Pattern',
  patternDescription: 'What the pattern asks for',
  forbidUserName: 'Refuse passwords that contain the user name',
  historyCount: 'Earlier passwords that may not be reused',
  checkCommonPasswords: 'Refuse common passwords',
  maxAgeDays: 'Maximum age (days)',
}

const explanations: Record<Key, string> = {
  minLength: 'In characters.',
  maxLength: 'In characters; also bounds the work of every check.',
  pattern:
    'A regular expression (Unicode) a new password must match somewhere; anchor it with ^…$ to match all. Empty: no pattern. Patterns that could backtrack catastrophically are refused.',
  patternDescription: 'Shown to users whose password does not match. Required with a pattern.',
  forbidUserName: 'Also the user name written backwards.',
  historyCount: 'The current password included. 0: no history.',
  checkCommonPasswords:
    'About 94,000 passwords attackers try first, also with a short suffix such as digits.',
  maxAgeDays: 'After this many days the next sign-in asks for a new password. 0: passwords do not expire.',
}

const configKeys: Record<Key, string> = {
  minLength: 'passwords.min_length',
  maxLength: 'passwords.max_length',
  pattern: 'passwords.pattern',
  patternDescription: 'passwords.pattern_description',
  forbidUserName: 'passwords.forbid_user_name',
  historyCount: 'passwords.history_count',
  checkCommonPasswords: 'passwords.check_common_passwords',
  maxAgeDays: 'passwords.max_age_days',
}

const numericKeys = ['minLength', 'maxLength', 'historyCount', 'maxAgeDays'] as const
const textKeys = ['pattern', 'patternDescription'] as const
const booleanKeys = ['forbidUserName', 'checkCommonPasswords'] as const

function fieldOf(pointer: string): FieldRef | undefined {
  const key = pointer.slice(1) as Key
  return Object.hasOwn(labels, key) ? { id: key, label: labels[key] } : undefined
}

type FormValues = Record<Key, string | boolean>

function valuesOf(policy: PasswordPolicy): FormValues {
  return {
    minLength: String(policy.minLength),
    maxLength: String(policy.maxLength),
    pattern: policy.pattern ?? '',
    patternDescription: policy.patternDescription ?? '',
    forbidUserName: policy.forbidUserName,
    historyCount: String(policy.historyCount),
    checkCommonPasswords: policy.checkCommonPasswords,
    maxAgeDays: String(policy.maxAgeDays),
  }
}

function readForm(body: unknown): { values: FormValues; submitted: Partial<PasswordPolicy> } {
  const values = {} as FormValues
  const submitted: Record<string, unknown> = {}
  for (const key of numericKeys) {
    values[key] = formField(body, key, 32)
    submitted[key] = wholeNumber(values[key])
  }
  // Kept as typed (one past the limit, so an over-long text is refused rather than cut).
  values.pattern = formField(body, 'pattern', passwordPolicyLimits.patternLength)
  values.patternDescription = formField(
    body,
    'patternDescription',
    passwordPolicyLimits.patternDescriptionLength,
  )
  for (const key of textKeys) submitted[key] = values[key]
  for (const key of booleanKeys) {
    values[key] = checkbox(body, key)
    submitted[key] = values[key]
  }
  return { values, submitted: submitted as Partial<PasswordPolicy> }
}

/** "No pattern" is `null` in the policy and an empty field in the form: the same value. */
function samePolicyValue(_key: Key, current: unknown, submitted: unknown): boolean {
  return Object.is(current ?? '', submitted ?? '')
}

function shown(value: unknown): string {
  if (typeof value === 'boolean') return yesNo(value)
  if (value === null || value === '') return 'none'
  return String(value)
}

/**
 * `/settings/password-policy`: the rules every new password of the tenant passes (reset,
 * prompt, My Account, administrators, SCIM), each marked as the tenant's own or the server
 * configuration's. The use case checks the policy as a whole (ranges, minimum ≤ maximum, a
 * pattern that compiles and cannot backtrack catastrophically) before anything is stored.
 */
export function passwordPolicySettingsPage(container: Container, kit: ConsoleKit) {
  const { tenantPolicies } = container
  const server = tenantPolicies.serverPasswordPolicy()

  function render(
    request: FastifyRequest,
    reply: FastifyReply,
    view: PolicyView<PasswordPolicy>,
    values: FormValues,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    const hint = (key: Key) =>
      `${explanations[key]} ${sourceHint(Object.hasOwn(view.overrides, key), configKeys[key], shown(server[key]))}`
    const error = (key: Key) => errors?.fields[key]
    const number = (key: (typeof numericKeys)[number]) => {
      const { min, max } = passwordPolicyLimits[key]
      return {
        id: key,
        label: labels[key],
        type: 'number',
        value: values[key],
        min,
        max,
        step: 1,
        hint: `${hint(key)} From ${min} to ${max}.`,
        error: error(key),
        required: true,
        narrow: true,
      }
    }
    const text = (key: (typeof textKeys)[number]) => ({
      id: key,
      label: labels[key],
      type: 'text',
      value: values[key],
      hint: hint(key),
      error: error(key),
      optional: true,
      autocomplete: 'off',
    })
    const toggle = (key: (typeof booleanKeys)[number]) => ({
      id: key,
      label: labels[key],
      type: 'checkbox',
      checked: values[key] === true,
      hint: hint(key),
      error: error(key),
    })
    return kit.render(
      request,
      reply,
      'settings-password-policy',
      {
        title: 'Password policy',
        section: 'settings',
        settingsNav: settingsNav('password-policy'),
        errors,
        lengths: [number('minLength'), number('maxLength')],
        pattern: [text('pattern'), text('patternDescription')],
        checks: [toggle('forbidUserName'), toggle('checkCommonPasswords')],
        lifetime: [number('historyCount'), number('maxAgeDays')],
        overrideCount: Object.keys(view.overrides).length,
        settingCount: Object.keys(labels).length,
      },
      status,
    )
  }

  return async (app: FastifyInstance) =>
    registerSettingsPage(app, kit, {
      path: PAGE,
      permission: 'config:write',
      summaries: {
        page: 'Console: password policy',
        save: 'Console: save the password policy',
        defaults: 'Console: return the password policy to the server configuration',
      },
      notices: { saved: 'settings-policy-saved', defaults: 'settings-policy-defaults' },
      view: (tenant) => tenantPolicies.viewPasswordPolicy(tenant),
      update: (tenant, changes, actor) => tenantPolicies.updatePasswordPolicy(tenant, changes, actor),
      valuesOf,
      readForm,
      sameValue: samePolicyValue,
      fieldOf,
      render,
    })
}
