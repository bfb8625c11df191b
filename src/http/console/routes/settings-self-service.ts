import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  type SelfServiceSettings,
  serverSelfServiceSettings,
} from '../../../admin/policies/selfservice-settings.ts'
import type { PolicyView } from '../../../admin/policies/tenant-policy-service.ts'
import type { Container } from '../../../container.ts'
import { QUERYABLE_ATTRIBUTES, STAGE_NAMES, type StageName } from '../../../flows/selfservice/stages.ts'
import { formField } from '../../pages/kit.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { type FieldRef, formList, settingsNav, sourceHint } from './settings-forms.ts'
import { registerSettingsPage } from './settings-page-routes.ts'

const PAGE = '/settings/self-service'

/** What each stage does, in the words of the page (the stage names are the API's). */
const stageLabels: Record<StageName, string> = {
  parameters: 'Keep the caller’s return parameters (a two-step start)',
  userQuery: 'Find the account from what the user typed',
  emailValidation: 'Verify: email a code to the account’s address',
  kbaSecurityAnswerVerificationStage: 'Verify: ask the user’s security questions',
  resetStage: 'Choose the new password',
}

const attributeLabels: Record<(typeof QUERYABLE_ATTRIBUTES)[number], string> = {
  userName: 'User name',
  emails: 'Email address',
  phoneNumbers: 'Phone number',
  externalId: 'External id',
}

/** One select per step: as many steps as there are stages, each stage usable once. */
const stepIds = STAGE_NAMES.map((_, index) => `stage-${index + 1}`)
const firstAttributeId = `queryable-${QUERYABLE_ATTRIBUTES[0]}`

function fieldOf(pointer: string): FieldRef | undefined {
  if (pointer === '/stages') return { id: stepIds[0]!, label: 'Stage pipeline' }
  if (pointer === '/queryableAttributes') return { id: firstAttributeId, label: 'Attributes a user may type' }
  return undefined
}

interface FormValues {
  stages: string[]
  queryableAttributes: string[]
}

/**
 * The steps in order, empty ones left out: a gap between steps closes up. Every stage name
 * chosen is passed on as it is, so an unknown or repeated one is the use case's to refuse.
 */
function readForm(body: unknown): FormValues {
  return {
    stages: stepIds.map((id) => formField(body, id, 64)).filter((stage) => stage !== ''),
    queryableAttributes: formList(body, 'queryableAttributes', QUERYABLE_ATTRIBUTES.length * 2, 64),
  }
}

/** The pipeline's order matters; the attributes are a set. */
function sameSetting(key: keyof SelfServiceSettings, current: unknown, submitted: unknown): boolean {
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : [])
  const [a, b] = [list(current), list(submitted)]
  if (key === 'queryableAttributes') {
    a.sort()
    b.sort()
  }
  return a.length === b.length && a.every((item, index) => item === b[index])
}

/**
 * `/settings/self-service`: the tenant's "Forgot password?" flow, as the stage pipeline (one
 * select per step, no script needed to order them) and the attributes a user may name the
 * account by. A pipeline that could reach the new password without a verification stage is
 * refused by the use case (`selfservice.invalid-stages`) and shown as the page's error.
 */
export function selfServiceSettingsPage(container: Container, kit: ConsoleKit) {
  const { tenantPolicies, securityQuestions, config } = container
  const server = serverSelfServiceSettings(config)

  function render(
    request: FastifyRequest,
    reply: FastifyReply,
    view: PolicyView<SelfServiceSettings>,
    values: FormValues,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    const overridden = (key: keyof SelfServiceSettings) => Object.hasOwn(view.overrides, key)
    const stageOptions = [
      { value: '', label: '(no stage)' },
      ...STAGE_NAMES.map((stage) => ({ value: stage, label: `${stage}: ${stageLabels[stage]}` })),
    ]
    const steps = stepIds.map((id, index) => ({
      id,
      label: `Step ${index + 1}`,
      type: 'select',
      value: values.stages[index] ?? '',
      options: stageOptions,
      error: errors?.fields[id],
    }))
    const attributes = QUERYABLE_ATTRIBUTES.map((attribute) => ({
      id: `queryable-${attribute}`,
      value: attribute,
      label: attributeLabels[attribute],
      checked: values.queryableAttributes.includes(attribute),
    }))
    const facts = [
      {
        label: 'Security questions a reset asks',
        value: securityQuestions.questionsAsked(),
        key: 'selfservice.kba_questions_asked',
      },
      {
        label: 'Security questions each user answers',
        value: securityQuestions.minimumAnswers(),
        key: 'selfservice.kba_answers_required',
      },
      {
        label: 'Each step’s time limit (minutes)',
        value: config.selfservice.token_lifetime_minutes,
        key: 'selfservice.token_lifetime_minutes',
      },
      {
        label: 'Characters in the emailed code',
        value: config.selfservice.code_length,
        key: 'selfservice.code_length',
      },
      {
        label: 'Wrong codes or answers before the flow ends',
        value: config.selfservice.max_attempts,
        key: 'selfservice.max_attempts',
      },
    ]
    return kit.render(
      request,
      reply,
      'settings-self-service',
      {
        title: 'Self-service reset settings',
        section: 'settings',
        settingsNav: settingsNav('self-service'),
        errors,
        current: view.effective.stages,
        steps,
        stagesHint: sourceHint(
          overridden('stages'),
          'selfservice.stages',
          server.stages.join(', ') || 'none',
        ),
        stagesError: errors?.fields[stepIds[0]!],
        attributes,
        attributesHint: sourceHint(
          overridden('queryableAttributes'),
          'selfservice.queryable_attributes',
          server.queryableAttributes.join(', '),
        ),
        attributesError: errors?.fields[firstAttributeId],
        overrideCount: Object.keys(view.overrides).length,
        facts,
      },
      status,
    )
  }

  return async (app: FastifyInstance) =>
    registerSettingsPage(app, kit, {
      path: PAGE,
      permission: 'config:write',
      summaries: {
        page: 'Console: self-service reset settings',
        save: 'Console: save the self-service reset settings',
        defaults: 'Console: return the self-service settings to the server configuration',
      },
      notices: { saved: 'settings-selfservice-saved', defaults: 'settings-selfservice-defaults' },
      view: (tenant) => tenantPolicies.viewSelfServicePolicy(tenant),
      update: (tenant, changes, actor) => tenantPolicies.updateSelfServicePolicy(tenant, changes, actor),
      // The form's values are the settings themselves: those in force, or a refused form's choices.
      valuesOf: (settings) => settings,
      readForm: (body) => {
        const submitted = readForm(body)
        return { values: submitted, submitted }
      },
      sameValue: sameSetting,
      fieldOf,
      render,
    })
}
