import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import { MAX_TOKEN_LENGTH } from '../../../flows/selfservice/flow-token.ts'
import type { SelfServiceRequest, StageAnswer } from '../../../flows/selfservice/service.ts'
import type { FormErrors } from '../form-errors.ts'
import { formField, type PageKit } from '../kit.ts'
import type { forgotPasswordViews, StageExtras } from './forgot-password-views.ts'

/** The engine's own bound on a flow token. */
export const MAX_TOKEN = MAX_TOKEN_LENGTH

/** What a page does with a refusal the engine may give at its stage; undefined: not one of them. */
type Refusals = (error: AppError) => Promise<FastifyReply> | FastifyReply | undefined

/** How the "Forgot password?" pages call the engine and turn its answers and refusals into pages. */
export function forgotPasswordSteps(
  container: Container,
  kit: PageKit,
  views: ReturnType<typeof forgotPasswordViews>,
) {
  const { selfService } = container

  function submit(request: FastifyRequest, body: SelfServiceRequest): Promise<StageAnswer> {
    return selfService.submit(kit.context(request).tenant, body, { clientAddress: request.ip })
  }

  /**
   * Runs the engine calls of one page and shows the page of the stage answered. A stage's own
   * refusals are its caller's; those every stage shares are pages of their own; anything else
   * (self-service turned off: 404) goes to the pages' error handler.
   */
  async function step(
    request: FastifyRequest,
    reply: FastifyReply,
    work: () => Promise<StageAnswer>,
    refusals: Refusals = () => undefined,
    extras: StageExtras = {},
  ) {
    let answer: StageAnswer
    try {
      answer = await work()
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      const shown = await refusals(error)
      if (shown) return shown
      if (error.code === 'selfservice.invalid-token') return views.expired(request, reply)
      if (error.code === 'selfservice.rate-limited') return views.rateLimited(request, reply)
      throw error
    }
    return views.stage(request, reply, answer, extras)
  }

  /**
   * The current stage's page again, with `errors`: the engine asked once more with no input,
   * which neither counts an attempt nor extends the token. A flow that the refusal ended
   * (no attempts left) shows why, with a way to start again.
   */
  function again(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    errors: FormErrors,
    why?: string,
  ) {
    return step(
      request,
      reply,
      () => submit(request, { input: {}, token }),
      (error) =>
        error.code === 'selfservice.invalid-token' ? views.expired(request, reply, why) : undefined,
      { errors },
    )
  }

  /** The hidden token of a stage form; a form without one cannot continue any flow. */
  function tokenOf(request: FastifyRequest): string | undefined {
    const token = formField(request.body, 'token', MAX_TOKEN)
    return token === '' || token.length > MAX_TOKEN ? undefined : token
  }

  return { submit, step, again, tokenOf }
}
