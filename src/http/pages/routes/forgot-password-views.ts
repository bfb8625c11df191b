import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { questionText } from '../../../flows/security-questions/question-list.ts'
import type { Requirements } from '../../../flows/selfservice/requirements.ts'
import type { StageAnswer } from '../../../flows/selfservice/service.ts'
import type { FormErrors } from '../form-errors.ts'
import type { PageKit } from '../kit.ts'
import { passwordRules } from '../password-rules.ts'

/** Where the flow starts, and where every "Start again" leads. */
export const FORGOT_PATH = '/forgot-password'

/** The page field of the engine's `answerN` input: the pages' own name for an answer field. */
export const answerField = (number: number) => `securityAnswer${number}` as const

export interface StageExtras {
  errors?: FormErrors
  /** The code of the mailed link, shown in the code field (never submitted by the GET). */
  code?: string
}

/**
 * The pages of the "Forgot password?" flow, one per stage the engine can answer with. They
 * only present what the engine answered: which page comes next, and the questions to ask,
 * are the engine's decision, never the page's.
 */
export function forgotPasswordViews(container: Container, kit: PageKit) {
  const { tenantPolicies } = container

  function find(
    request: FastifyRequest,
    reply: FastifyReply,
    options: { account?: string; errors?: FormErrors } = {},
  ) {
    const { t } = kit.context(request)
    return kit.render(
      request,
      reply,
      'forgot-password',
      {
        title: t('forgot.find.title'),
        heading: t('forgot.find.title'),
        intro: t('forgot.find.intro'),
        account: options.account ?? '',
        ...(options.errors ? { errors: options.errors } : {}),
      },
      options.errors ? 400 : 200,
    )
  }

  /** Threat: account enumeration. The words are the same whether the account exists or not. */
  function code(request: FastifyRequest, reply: FastifyReply, token: string, extras: StageExtras) {
    const { t } = kit.context(request)
    return kit.render(
      request,
      reply,
      'forgot-password-code',
      {
        title: t('forgot.code.title'),
        heading: t('forgot.code.title'),
        intro: t('forgot.code.intro'),
        token,
        code: extras.code ?? '',
        ...(extras.errors ? { errors: extras.errors } : {}),
      },
      extras.errors ? 400 : 200,
    )
  }

  function questions(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    requirements: Requirements,
    extras: StageExtras,
  ) {
    const { t, locale } = kit.context(request)
    const asked = requirements.required.map((input, index) => {
      const text = requirements.properties[input]?.systemQuestion
      const fallback = t('forgot.questions.fallback', { number: index + 1 })
      return {
        field: answerField(index + 1),
        text: isTextByLocale(text) ? questionText({ id: fallback, text }, locale) : fallback,
      }
    })
    return kit.render(
      request,
      reply,
      'forgot-password-questions',
      {
        title: t('forgot.questions.title'),
        heading: t('forgot.questions.title'),
        intro: t('forgot.questions.intro'),
        token,
        questions: asked,
        ...(extras.errors ? { errors: extras.errors } : {}),
      },
      extras.errors ? 400 : 200,
    )
  }

  async function newPassword(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    extras: StageExtras,
  ) {
    const { tenant, t } = kit.context(request)
    const policy = await tenantPolicies.passwordPolicy(tenant)
    return kit.render(
      request,
      reply,
      'forgot-password-new',
      {
        title: t('forgot.new.title'),
        heading: t('forgot.new.title'),
        intro: t('forgot.new.intro'),
        token,
        rules: passwordRules(policy, t),
        ...(extras.errors ? { errors: extras.errors } : {}),
      },
      extras.errors ? 400 : 200,
    )
  }

  function expired(request: FastifyRequest, reply: FastifyReply, body?: string) {
    const { t, base } = kit.context(request)
    return kit.render(
      request,
      reply,
      'message',
      {
        title: t('forgot.expired.title'),
        heading: t('forgot.expired.title'),
        body: body ?? t('forgot.expired.body'),
        tone: 'warning',
        link: { href: `${base}${FORGOT_PATH}`, text: t('forgot.start-again') },
      },
      400,
    )
  }

  function rateLimited(request: FastifyRequest, reply: FastifyReply) {
    const { t, base } = kit.context(request)
    return kit.render(
      request,
      reply,
      'message',
      {
        title: t('forgot.rate-limited.title'),
        heading: t('forgot.rate-limited.title'),
        body: t('forgot.rate-limited.body'),
        tone: 'warning',
        link: { href: `${base}/login`, text: t('forgot.back-to-sign-in') },
      },
      429,
    )
  }

  /** The page of the stage the engine answered with; the end goes to the sign-in page. */
  async function stage(
    request: FastifyRequest,
    reply: FastifyReply,
    answer: StageAnswer,
    extras: StageExtras,
  ) {
    if (!('token' in answer)) {
      // The password changed: a session this browser still holds must not outlive it here.
      kit.clearSession(request, reply)
      return kit.redirect(request, reply, '/login?m=password-reset')
    }
    switch (answer.type) {
      case 'emailValidation':
        return code(request, reply, answer.token, extras)
      case 'kbaSecurityAnswerVerificationStage':
        return questions(request, reply, answer.token, answer.requirements, extras)
      case 'resetStage':
        return newPassword(request, reply, answer.token, extras)
      case 'parameters':
      case 'userQuery':
        // A token still at the start: the account is found from the first page again.
        return find(request, reply)
    }
  }

  return { find, code, questions, newPassword, expired, rateLimited, stage }
}

function isTextByLocale(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((text) => typeof text === 'string')
  )
}
