import type { Clock } from '../../domain/clock.ts'
import type { PasswordPolicy } from '../../domain/password-policy/index.ts'
import type { Executor } from '../../persistence/executor.ts'
import { claimsRepository } from '../../persistence/repositories/claims.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import type { ResetPromptGate } from '../login/service.ts'
import { decidePrompt, type PromptDecision } from './decide.ts'
import type { ResetPromptSettings } from './settings.ts'

/** Where the prompt reads a tenant's password policy (for its maximum age). */
export interface PasswordPolicySource {
  passwordPolicy(tenant: TenantRow): Promise<PasswordPolicy>
}

/** A prompt session lasts long enough to choose a password, no longer. */
const PROMPT_SESSION_MS = 15 * 60_000

/**
 * Asked by the login flow after a correct password and every login check: reads the
 * attribute from its source (only when the prompt is enabled, so sign-ins without it read
 * nothing more) and the tenant's password policy, and decides.
 */
export class ResetPromptDecider implements ResetPromptGate {
  readonly promptSessionMs = PROMPT_SESSION_MS

  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly settings: ResetPromptSettings,
    private readonly policies: PasswordPolicySource,
  ) {}

  async decide(
    tenant: TenantRow,
    user: { id: string; changed_at: number | null },
    context: Readonly<Record<string, string>>,
  ): Promise<PromptDecision | undefined> {
    const policy = await this.policies.passwordPolicy(tenant)
    return decidePrompt(this.settings, {
      attributeValue: await this.attributeValue(user.id, context),
      passwordChangedAt: user.changed_at ?? 0,
      now: this.clock.now(),
      maxAgeDays: policy.maxAgeDays,
    })
  }

  private async attributeValue(
    userId: string,
    context: Readonly<Record<string, string>>,
  ): Promise<string | undefined> {
    if (!this.settings.enabled) return undefined
    if (this.settings.source === 'login-context') return context[this.settings.attribute]
    return (await claimsRepository.forUser(this.db, userId))[this.settings.claimUri]
  }
}
