import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import { AdminAuthenticator } from './admin/admin-authenticator.ts'
import { TenantPolicyService } from './admin/policies/tenant-policy-service.ts'
import { RoleService } from './admin/role-service.ts'
import { SessionService } from './admin/session-service.ts'
import { TenantService } from './admin/tenant-service.ts'
import { TokenService } from './admin/token-service.ts'
import { UserService } from './admin/user-service.ts'
import type { Config } from './config/schema.ts'
import { PasswordWriter } from './credentials/password-writer.ts'
import { type Clock, systemClock } from './domain/clock.ts'
import { defaultLoginChecks } from './domain/login-checks.ts'
import { AccountService } from './flows/account/service.ts'
import { BulkResetRunner, DEFAULT_RUNNER_OPTIONS, parallelBatchesFor } from './flows/bulk-reset/runner.ts'
import { BulkResetService } from './flows/bulk-reset/service.ts'
import { ForcedResetService } from './flows/forced-reset/service.ts'
import { BatchTrigger } from './flows/forced-reset/trigger-batch.ts'
import { CredentialVerifier } from './flows/login/credential-verifier.ts'
import { LoginService } from './flows/login/service.ts'
import { SignInSessions } from './flows/login/sign-in-session.ts'
import { ResetPromptDecider } from './flows/reset-prompt/gate.ts'
import { ResetPromptService } from './flows/reset-prompt/service.ts'
import { resetPromptSettings } from './flows/reset-prompt/settings.ts'
import { SecurityQuestionService } from './flows/security-questions/service.ts'
import { FlowTokens } from './flows/selfservice/flow-token.ts'
import { SelfServiceResetService } from './flows/selfservice/service.ts'
import { tokenKeysOf } from './flows/selfservice/token-keys.ts'
import { DeliveryRouter } from './notifications/delivery-router.ts'
import { Notifier } from './notifications/notifier.ts'
import { OutboxWorker } from './notifications/outbox/outbox-worker.ts'
import { TemplateSnapshots } from './notifications/outbox/template-snapshots.ts'
import { OutboxService } from './notifications/outbox-service.ts'
import { TemplateService } from './notifications/template-service.ts'
import { TenantSmtpService } from './notifications/tenant-smtp-service.ts'
import { AuditLog } from './observability/audit.ts'
import { createLogger } from './observability/logger.ts'
import { Metrics } from './observability/metrics.ts'
import { openStore, type Store } from './persistence/database.ts'
import { isPostgres } from './persistence/dialect.ts'
import { ScimGroupWriter } from './scim/groups/group-writer.ts'
import { ScimGroups } from './scim/groups/scim-groups.ts'
import { ScimUsers } from './scim/users/scim-users.ts'
import { ScimUserWriter } from './scim/users/user-writer.ts'
import { BasicAuthCache } from './security/basic-auth-cache.ts'
import { PasswordHasher } from './security/password-hasher.ts'
import { SealedBox } from './security/sealed-box.ts'
import { loadSecretKey } from './security/secret-key.ts'

export interface Container {
  config: Config
  clock: Clock
  logger: Logger
  store: Store
  hasher: PasswordHasher
  /** Server secret for keyed hashes of one-time codes; shared by every instance of a deployment. */
  secretKey: Buffer
  audit: AuditLog
  basicAuthCache: BasicAuthCache
  passwords: PasswordWriter
  users: UserService
  roles: RoleService
  tenants: TenantService
  tokens: TokenService
  sessions: SessionService
  verifier: CredentialVerifier
  login: LoginService
  adminAuth: AdminAuthenticator
  scimUsers: ScimUsers
  scimGroups: ScimGroups
  metrics: Metrics
  templates: TemplateService
  notifier: Notifier
  deliveryRouter: DeliveryRouter
  outbox: OutboxService
  /** Delivers queued mail; `rekey serve` starts it unless `notifications.worker` is off. */
  outboxWorker: OutboxWorker
  forcedResets: ForcedResetService
  /** Bulk forced resets: dry runs, jobs and their progress, cancel. */
  bulkResets: BulkResetService
  /** Runs bulk reset jobs; `rekey serve` starts it, and it resumes jobs a stopped process left. */
  bulkResetRunner: BulkResetRunner
  /** Each tenant's forced-reset and password policy (configuration overlaid with the tenant's changes). */
  tenantPolicies: TenantPolicyService
  /** The reset-password prompt after sign-in: set a new password or, where allowed, skip. */
  resetPrompt: ResetPromptService
  /** Self-service password reset: the staged flow behind the REST API and the "Forgot password?" pages. */
  selfService: SelfServiceResetService
  /** A signed-in user's own account: who am I, change my password. */
  account: AccountService
  /** Seals tenant SMTP URLs (they may carry a relay password). */
  smtpSecrets: SealedBox
  /** A tenant's own SMTP relay settings (sealed URL, From address). */
  tenantSmtp: TenantSmtpService
  /** Each tenant's security questions and each user's hashed answers (self-service reset). */
  securityQuestions: SecurityQuestionService
  /** True when the store answers a trivial query. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export interface ContainerOptions {
  clock?: Clock
  logger?: Logger
  store?: Store
}

/** Composition root: builds every service once and hands each only what it needs. */
export function buildContainer(config: Config, options: ContainerOptions = {}): Container {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? createLogger(config.log.level)
  const store = options.store ?? openStore(config)
  const db = store.db
  const hasher = new PasswordHasher({
    memoryKib: config.passwords.argon2_memory_kib,
    iterations: config.passwords.argon2_iterations,
    parallelism: config.passwords.argon2_parallelism,
  })
  const secretKey = loadSecretKey(config)
  const audit = new AuditLog(clock)
  // A per-process key: cache entries are useless outside this process by construction.
  const basicAuthCache = new BasicAuthCache(
    clock,
    config.auth.basic_cache_ttl_seconds * 1000,
    config.auth.basic_cache_max_entries,
    randomBytes(32),
  )
  const tenantPolicies = new TenantPolicyService(db, config, clock, audit)
  const passwords = new PasswordWriter(db, hasher, tenantPolicies, clock, audit, basicAuthCache)
  const metrics = new Metrics()
  const templates = new TemplateService(db, clock, audit)
  const smtpSecrets = new SealedBox(secretKey, 'tenant-smtp-url')
  const deliveryRouter = new DeliveryRouter(
    db,
    config,
    clock,
    smtpSecrets,
    logger.child({ component: 'mail' }),
  )
  const notifier = new Notifier(
    config,
    clock,
    templates,
    new SealedBox(secretKey, 'outbox-body'),
    metrics,
    deliveryRouter,
    logger.child({ component: 'outbox' }),
    new TemplateSnapshots(clock),
  )
  const outbox = new OutboxService(db, clock, audit, notifier, deliveryRouter)
  const tenantSmtp = new TenantSmtpService(
    db,
    clock,
    audit,
    smtpSecrets,
    config.smtp.allow_tenant_relays,
    (id) => deliveryRouter.forget(id),
  )
  const outboxWorker = new OutboxWorker(
    db,
    config,
    clock,
    notifier,
    deliveryRouter,
    audit,
    metrics,
    logger.child({ component: 'outbox' }),
  )
  const forcedResets = new ForcedResetService(
    db,
    config,
    clock,
    audit,
    notifier,
    secretKey,
    new SealedBox(secretKey, 'offline-otp'),
    passwords,
    tenantPolicies,
  )
  const users = new UserService(db, clock, audit, passwords, forcedResets)
  const roles = new RoleService(db, clock, audit, users)
  const tenants = new TenantService(db, clock, audit, users, roles, passwords)
  const tokens = new TokenService(db, clock, audit)
  const sessions = new SessionService(db, clock, audit, config.auth.session_ttl_seconds * 1000)
  const verifier = new CredentialVerifier(db, hasher, clock)
  const adminAuth = new AdminAuthenticator(db, verifier, basicAuthCache, tokens, sessions, audit)
  const scimUsers = new ScimUsers(
    db,
    new ScimUserWriter(db, clock, audit, users, passwords, forcedResets),
    users,
  )
  const scimGroups = new ScimGroups(db, new ScimGroupWriter(db, clock, audit, roles), roles)
  const promptSettings = resetPromptSettings(config)
  const login = new LoginService(
    db,
    clock,
    audit,
    verifier,
    sessions,
    defaultLoginChecks,
    forcedResets,
    new ResetPromptDecider(db, clock, promptSettings, tenantPolicies),
  )
  const resetPrompt = new ResetPromptService(
    db,
    clock,
    promptSettings,
    tenantPolicies,
    passwords,
    new SignInSessions(db, audit, sessions),
  )
  // PasswordUpdated: a new password answers the prompt's attribute, so the next sign-in is not prompted.
  passwords.onPasswordWritten((trx, write) => resetPrompt.clearAttributeIn(trx, write))
  const account = new AccountService(db, verifier, passwords)
  const securityQuestions = new SecurityQuestionService(db, config, clock, audit, hasher)
  const bulkResetRunner = new BulkResetRunner(
    db,
    clock,
    audit,
    tenantPolicies,
    new BatchTrigger({
      config,
      clock,
      audit,
      notifier,
      secretKey,
      offlineCodes: new SealedBox(secretKey, 'offline-otp'),
    }),
    logger.child({ component: 'bulk-reset' }),
    { ...DEFAULT_RUNNER_OPTIONS, parallelBatches: parallelBatchesFor(isPostgres(db), config.storage) },
  )
  const selfService = new SelfServiceResetService({
    db,
    config,
    clock,
    audit,
    notifier,
    policies: tenantPolicies,
    passwords,
    questions: securityQuestions,
    confirmations: forcedResets,
    secretKey,
    tokens: new FlowTokens(tokenKeysOf(config.selfservice.token_keys, secretKey)),
    logger: logger.child({ component: 'selfservice' }),
  })
  // Bulk batches first, mail right after (DeliveryPriority, OutboxWorker.deferTo): until a job's
  // last batch commits, some of its users' old passwords still work.
  outboxWorker.deferTo(bulkResetRunner)
  const bulkResets = new BulkResetService(db, clock, audit, tenantPolicies, () => bulkResetRunner.nudge())
  // Any new password ends a pending forced reset: flag, lock and codes, in the write's transaction.
  passwords.onPasswordWritten((trx, write) =>
    forcedResets.completeIn(trx, write.tenantId, write.userId).then(() => undefined),
  )
  return {
    config,
    clock,
    logger,
    store,
    hasher,
    secretKey,
    audit,
    basicAuthCache,
    passwords,
    users,
    roles,
    tenants,
    tokens,
    sessions,
    verifier,
    login,
    adminAuth,
    scimUsers,
    scimGroups,
    metrics,
    templates,
    notifier,
    deliveryRouter,
    outbox,
    outboxWorker,
    smtpSecrets,
    forcedResets,
    bulkResets,
    bulkResetRunner,
    tenantPolicies,
    resetPrompt,
    selfService,
    account,
    tenantSmtp,
    securityQuestions,
    async ping() {
      try {
        await sql`select 1`.execute(db)
        return true
      } catch {
        return false
      }
    },
    async close() {
      await selfService.idle()
      await bulkResetRunner.stop()
      await outboxWorker.stop()
      await deliveryRouter.close()
      await store.close()
    },
  }
}
