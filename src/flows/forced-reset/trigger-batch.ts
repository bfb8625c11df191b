import type { Config } from '../../config/schema.ts'
import { publicUrl } from '../../config/semantics.ts'
import type { Clock } from '../../domain/clock.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'
import { displayUserName } from '../../domain/user-name.ts'
import type { NotificationRequest, Notifier } from '../../notifications/notifier.ts'
import type { TemplateValuesDraft } from '../../notifications/templates/index.ts'
import type { Actor, AuditEvent, AuditLog } from '../../observability/audit.ts'
import type { Executor } from '../../persistence/executor.ts'
import { insertRows, runWithList } from '../../persistence/multi-row.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { ACCOUNT_FIELDS, type AccountFields, type UserRow } from '../../persistence/repositories/users.ts'
import type { ResetCodesTable, ResetMode } from '../../persistence/tables.ts'
import { generateOtp, newLinkToken, secretHmac } from '../../security/one-time-secrets.ts'
import type { SealedBox } from '../../security/sealed-box.ts'
import { timeOrderedId } from '../../security/time-ordered-id.ts'
import {
  EMAIL_CLAIM,
  GIVEN_NAME_CLAIM,
  LAST_NAME_CLAIM,
  LOCALE_CLAIM,
  RESET_LOCK_REASON,
  type ResetPolicy,
} from './reset-policy.ts'
import type { TriggerResult } from './service.ts'

export interface BatchTriggerDeps {
  config: Config
  clock: Clock
  audit: AuditLog
  notifier: Notifier
  /** Server secret for the codes' HMACs. */
  secretKey: Buffer
  /** Seals offline one-time passwords for administrators to read back. */
  offlineCodes: SealedBox
}

export interface BatchTriggerOptions {
  /** The mode, already resolved from the request and the tenant's policy. */
  mode: ResetMode
  policy: ResetPolicy
  actor: Actor
  /** The channel that asked: `admin-api`, `cli`, `scim`, `claims`, `bulk`, `soap`. */
  channel: string
  /** Added to each user's `user.reset-forced` audit detail (a bulk job's id). */
  auditDetail?: Record<string, unknown>
  /**
   * The first and last of the users' ids in the store's own order (a bulk job reads its
   * targets in that order). With it, each statement also bounds the id to that range, and
   * PostgreSQL walks the id index over the batch instead of scanning the table, which it
   * prefers for a list of a thousand ids.
   */
  idRange?: IdRange | undefined
  /** Mail to the built-in mailbox is delivered in this transaction (Notifier's `mailboxNow`). */
  mailboxNow?: boolean
  /**
   * A batch of one only: the user's account is locked for the reset only while it is still at
   * this version, the caller's optimistic check folded into the trigger's own update (SCIM,
   * whose write then needs no version move of its own). A user whose version moved is skipped
   * as `user.changed`, and nothing is written.
   */
  expectedVersion?: number | undefined
  /**
   * With `expectedVersion`: the user's claims as the caller read them at that version. Every
   * write of a user's claims moves its version, so when the update at that version succeeds
   * these are the stored ones, and the trigger does not read them again. Without an address
   * among them, the store is read anyway: an address added since is not reported missing.
   */
  claimsAtVersion?: Readonly<Record<string, string>> | undefined
}

export interface IdRange {
  first: string
  last: string
}

/** `<column> in (:list)`, bounded by the batch's id range when known; its extra values. */
function idCondition(column: string, range: IdRange | undefined): { text: string; after: string[] } {
  return range
    ? { text: `${column} in (:list) and ${column} between ? and ?`, after: [range.first, range.last] }
    : { text: `${column} in (:list)`, after: [] }
}

/** A user the batch left untouched, and why. */
export interface SkippedUser {
  user: UserRow
  /**
   * `user.not-found`: deleted by another transaction after the caller read it. `user.changed`:
   * no longer at the caller's `expectedVersion` (or deleted).
   */
  reason: 'reset.no-email' | 'user.not-found' | 'user.changed'
}

/** A user's account as the trigger left it: what a caller shows without reading it again. */
export type AccountAfterReset = AccountFields

export interface BatchTriggerOutcome {
  /** In the order of the users given. */
  triggered: TriggerResult[]
  skipped: SkippedUser[]
  /** The triggered users' accounts, by id, as the trigger's update returned them. */
  accounts: ReadonlyMap<string, AccountAfterReset>
}

/** The claims a trigger reads: where to mail, in which language, and the greeting. */
const READ_CLAIMS = [EMAIL_CLAIM, LOCALE_CLAIM, GIVEN_NAME_CLAIM, LAST_NAME_CLAIM]
const READ_CLAIM_SET: ReadonlySet<string> = new Set(READ_CLAIMS)

/** The placeholders every message about a user fills from the user and its claims. */
export function recipientValues(
  user: UserRow,
  claims: Readonly<Record<string, string>>,
): TemplateValuesDraft {
  return {
    'user-name': displayUserName(user.store_domain, user.username),
    'first-name': claims[GIVEN_NAME_CLAIM] ?? '',
    'last-name': claims[LAST_NAME_CLAIM] ?? '',
  }
}

/** The page behind an emailed reset link, in the user's tenant. */
export function resetLinkOf(config: Config, tenant: TenantRow, token: string): string {
  const prefix = tenant.domain === DEFAULT_TENANT ? '' : `/t/${tenant.domain}`
  return `${publicUrl(config)}${prefix}/reset-password?token=${encodeURIComponent(token)}`
}

/**
 * The forced-reset trigger for any number of users of one tenant, in the caller's transaction:
 * the one implementation behind the single trigger (a batch of one) and bulk jobs. For every
 * user with an address (or in the offline mode) it locks the account for reset (the old
 * password stops working at once), records the pending reset (which the forced-reset flag and
 * pending-mode claims are read from), ends the sessions, replaces any earlier code with a new link token or one-time password
 * (stored as a keyed HMAC; an offline code also sealed so administrators can read it back),
 * queues the email and audits `user.reset-forced` — each step one statement for the whole
 * batch, so a thousand users cost about as many round trips as one.
 *
 * Users without an email address in an email mode are skipped, untouched, and reported.
 */
export class BatchTrigger {
  constructor(private readonly deps: BatchTriggerDeps) {}

  async run(
    trx: Executor,
    tenant: TenantRow,
    users: readonly UserRow[],
    options: BatchTriggerOptions,
  ): Promise<BatchTriggerOutcome> {
    if (users.length === 0) return { triggered: [], skipped: [], accounts: new Map() }
    // The statements below name users by id alone (see the update of users): every user must
    // be one of this tenant's, as read by the caller.
    const foreign = users.find((user) => user.tenant_id !== tenant.id)
    if (foreign) throw new Error(`user ${foreign.id} is not in tenant ${tenant.id}`)
    const { mode, policy } = options
    const now = this.deps.clock.now()
    const claims =
      this.claimsAtVersion(users, options, mode) ?? (await this.readClaims(trx, users, options.idRange))
    const withoutEmail: UserRow[] = []
    let eligible: UserRow[] = []
    for (const user of users) {
      if (mode !== 'offline-otp' && !claims.get(user.id)?.[EMAIL_CLAIM]?.trim()) withoutEmail.push(user)
      else eligible.push(user)
    }
    const skipped = await this.withoutEmailOrGone(trx, withoutEmail, options.idRange)
    if (eligible.length === 0) return { triggered: [], skipped, accounts: new Map() }

    // Locked for reset: every sign-in path (login API, pages, HTTP Basic) refuses the old password.
    // By id alone: with the tenant in the condition, SQLite walks the tenant's index over
    // every user of the tenant instead of looking each id up.
    const byUser = idCondition('user_id', options.idRange)
    const byId = idCondition('id', options.idRange)
    const { expectedVersion } = options
    if (expectedVersion !== undefined && users.length !== 1)
      throw new Error('an expected version applies to a batch of one user')
    const onVersion =
      expectedVersion === undefined
        ? { text: '', after: [] }
        : { text: ' and version = ?', after: [expectedVersion] }
    const { rows: lockedRows } = await runWithList<AccountAfterReset & { id: string }>(trx, {
      // A disabled account stays disabled, with the reset's lock under it (isLocked); a lock an
      // administrator set stays, reason and all, and outlives the reset (endResetOfRow lifts
      // only the reset's). Sign-in refuses the old password for the pending reset either way.
      text: `update users set status = case when status = 'disabled' then 'disabled' else 'locked' end, lock_reason = case when status <> 'active' and lock_reason is not null then lock_reason else ? end, updated_at = ?, version = version + 1 where ${byId.text}${onVersion.text} returning id, ${ACCOUNT_FIELDS.join(', ')}`,
      before: [RESET_LOCK_REASON, now],
      list: eligible.map((user) => user.id),
      after: [...byId.after, ...onVersion.after],
    })
    // The rows below have no foreign key to their user (migration 013): only users whose row
    // this transaction holds get them. A user deleted since the caller read it has none left
    // to lock, and its deletion, waiting on that lock otherwise, removes what this commits.
    if (lockedRows.length < eligible.length) {
      const locked = new Set(lockedRows.map((row) => row.id))
      for (const user of eligible.filter((user) => !locked.has(user.id)))
        skipped.push({ user, reason: expectedVersion === undefined ? 'user.not-found' : 'user.changed' })
      eligible = eligible.filter((user) => locked.has(user.id))
      if (eligible.length === 0) return { triggered: [], skipped, accounts: new Map() }
    }
    const accounts = new Map<string, AccountAfterReset>(
      lockedRows.map(({ id, status, lock_reason, version, updated_at }) => [
        id,
        { status, lock_reason, version, updated_at },
      ]),
    )
    const ids = eligible.map((user) => user.id)
    await insertRows(trx, {
      table: 'pending_resets',
      columns: ['user_id', 'tenant_id', 'mode', 'requested_at', 'requested_by', 'reason'],
      rows: ids.map((id) => [id, tenant.id, mode, now, options.actor.name, options.channel]),
      suffix:
        'on conflict (user_id) do update set mode = excluded.mode, requested_at = excluded.requested_at, requested_by = excluded.requested_by, reason = excluded.reason',
    })
    const revoked = new Map<string, number>()
    if (policy.revokeSessions) {
      const { rows } = await runWithList<{ user_id: string }>(trx, {
        text: `update sessions set revoked_at = ? where revoked_at is null and ${byUser.text} returning user_id`,
        before: [now],
        list: ids,
        after: byUser.after,
      })
      for (const row of rows) revoked.set(row.user_id, (revoked.get(row.user_id) ?? 0) + 1)
    }
    const tokensRevoked = policy.revokeSessions
      ? await this.revokeTokens(trx, tenant, eligible, now)
      : new Map()
    // A new trigger replaces the previous code: an earlier email's link or code stops working.
    await runWithList(trx, {
      text: `delete from reset_codes where used_at is null and ${byUser.text}`,
      list: ids,
      after: byUser.after,
    })

    const isLink = mode === 'email-link'
    const lifetime = isLink ? policy.linkLifetimeMs : policy.otpLifetimeMs
    const expiresAt = new Date(now + lifetime).toISOString()
    const codes: ResetCodesTable[] = []
    const messages: NotificationRequest[] = []
    for (const user of eligible) {
      const codeId = timeOrderedId(now)
      const link = isLink ? newLinkToken(codeId) : undefined
      const secret = link ? link.token : generateOtp(policy.otpLength, policy.otpCharacters)
      codes.push({
        id: codeId,
        tenant_id: tenant.id,
        user_id: user.id,
        kind: isLink ? 'link' : 'otp',
        secret_hmac: link
          ? secretHmac(this.deps.secretKey, 'link', link.verifier, codeId)
          : secretHmac(this.deps.secretKey, 'otp', secret, user.id),
        sealed_secret: mode === 'offline-otp' ? this.deps.offlineCodes.seal(secret, codeId) : null,
        created_at: now,
        expires_at: now + lifetime,
        used_at: null,
        attempts: 0,
        max_attempts: isLink ? 1 : policy.maxOtpAttempts,
      })
      if (mode === 'offline-otp') continue
      const userClaims = claims.get(user.id) ?? {}
      // Added one by one: a literal that spreads an object first and then names more
      // properties is built property by property in V8's slow path (microseconds each).
      const values: TemplateValuesDraft = recipientValues(user, userClaims)
      values['expiry-minutes'] = String(Math.round(lifetime / 60_000))
      if (isLink) values['reset-link'] = resetLinkOf(this.deps.config, tenant, secret)
      else values.otp = secret
      messages.push({
        tenant,
        type: isLink ? 'AdminForcedPasswordReset' : 'AdminForcedPasswordResetWithOTP',
        to: userClaims[EMAIL_CLAIM]!.trim(),
        userId: user.id,
        userLocale: userClaims[LOCALE_CLAIM] ?? null,
        values,
        idempotencyKey: `forced-reset:${codeId}`,
      })
    }
    await insertRows(trx, {
      table: 'reset_codes',
      columns: CODE_COLUMNS,
      rows: codes.map((code) => CODE_COLUMNS.map((column) => code[column])),
    })
    const queued = await this.deps.notifier.enqueueMany(trx, messages, {
      mailboxNow: options.mailboxNow === true,
    })

    const events: AuditEvent[] = eligible.map((user) => ({
      tenantId: tenant.id,
      actor: options.actor,
      action: 'user.reset-forced',
      target: user.id,
      detail: {
        mode,
        channel: options.channel,
        sessionsRevoked: revoked.get(user.id) ?? 0,
        tokensRevoked: tokensRevoked.get(user.id) ?? 0,
        expiresAt,
        ...options.auditDetail,
      },
    }))
    await this.deps.audit.recordMany(trx, events)
    return {
      triggered: eligible.map((user, index) => ({
        userId: user.id,
        mode,
        expiresAt,
        sessionsRevoked: revoked.get(user.id) ?? 0,
        messageId: mode === 'offline-otp' ? null : queued[index]!.id,
      })),
      skipped,
      accounts,
    }
  }

  /**
   * Threat: API tokens a user created act with that user's permissions, so a reset forced
   * because someone else may know the password must not leave them working. Tokens name their
   * creator as the user signs in (`alice`, `PARTNERS/alice`), unique in the tenant.
   */
  private async revokeTokens(
    trx: Executor,
    tenant: TenantRow,
    users: readonly UserRow[],
    now: number,
  ): Promise<Map<string, number>> {
    const idByName = new Map(
      users.map((user) => [displayUserName(user.store_domain, user.username), user.id]),
    )
    const { rows } = await runWithList<{ created_by: string }>(trx, {
      text: 'update api_tokens set revoked_at = ? where revoked_at is null and tenant_id = ? and created_by in (:list) returning created_by',
      before: [now, tenant.id],
      list: [...idByName.keys()],
    })
    const revoked = new Map<string, number>()
    for (const row of rows) {
      const id = idByName.get(row.created_by)
      if (id) revoked.set(id, (revoked.get(id) ?? 0) + 1)
    }
    return revoked
  }

  /**
   * Why each user without an address is skipped: a user deleted since the caller read it has no
   * claims left either, and is reported as gone rather than as lacking an address.
   */
  private async withoutEmailOrGone(
    trx: Executor,
    users: readonly UserRow[],
    range: IdRange | undefined,
  ): Promise<SkippedUser[]> {
    if (users.length === 0) return []
    const byId = idCondition('id', range)
    const { rows } = await runWithList<{ id: string }>(trx, {
      text: `select id from users where ${byId.text}`,
      list: users.map((user) => user.id),
      after: byId.after,
    })
    const present = new Set(rows.map((row) => row.id))
    return users.map((user) => ({ user, reason: present.has(user.id) ? 'reset.no-email' : 'user.not-found' }))
  }

  /** The claims the caller read at the expected version, when they can stand for a read. */
  private claimsAtVersion(
    users: readonly UserRow[],
    { expectedVersion, claimsAtVersion }: BatchTriggerOptions,
    mode: ResetMode,
  ): Map<string, Record<string, string>> | undefined {
    const [user] = users
    if (!claimsAtVersion || expectedVersion === undefined || !user || users.length !== 1) return undefined
    if (mode !== 'offline-otp' && !claimsAtVersion[EMAIL_CLAIM]?.trim()) return undefined
    const kept: Record<string, string> = {}
    for (const uri of READ_CLAIMS) {
      const value = claimsAtVersion[uri]
      if (value !== undefined) kept[uri] = value
    }
    return new Map([[user.id, kept]])
  }

  /** The claims a trigger needs, for every user of the batch, in one statement. */
  private async readClaims(trx: Executor, users: readonly UserRow[], range: IdRange | undefined) {
    const byUser = idCondition('user_id', range)
    const claims = new Map<string, Record<string, string>>()
    // One user's claims are a few rows on one index range: reading them all and keeping four
    // costs less than four probes, one per claim (the single trigger, on every forcing write).
    const one = users.length === 1
    const { rows } = await runWithList<{ user_id: string; claim_uri: string; value: string }>(trx, {
      text: one
        ? `select user_id, claim_uri, value from user_claims where ${byUser.text}`
        : `select user_id, claim_uri, value from user_claims where claim_uri in (${READ_CLAIMS.map(() => '?').join(', ')}) and ${byUser.text}`,
      before: one ? [] : READ_CLAIMS,
      list: users.map((user) => user.id),
      after: byUser.after,
    })
    for (const row of rows) {
      if (one && !READ_CLAIM_SET.has(row.claim_uri)) continue
      const of = claims.get(row.user_id) ?? {}
      of[row.claim_uri] = row.value
      claims.set(row.user_id, of)
    }
    return claims
  }
}

const CODE_COLUMNS: ReadonlyArray<keyof ResetCodesTable> = [
  'id',
  'tenant_id',
  'user_id',
  'kind',
  'secret_hmac',
  'sealed_secret',
  'created_at',
  'expires_at',
  'used_at',
  'attempts',
  'max_attempts',
]
