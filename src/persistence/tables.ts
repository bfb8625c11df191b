import type { Generated } from 'kysely'

/**
 * Row shapes. Times are epoch milliseconds in integer columns on both engines so comparisons
 * and indexes behave the same on SQLite and PostgreSQL; flags are 0/1 integers for the same
 * reason.
 */
export interface TenantsTable {
  id: string
  domain: string
  display_name: string
  status: 'active' | 'disabled'
  created_at: number
  updated_at: number
}

export interface UserStoresTable {
  tenant_id: string
  domain: string
  description: string
  created_at: number
}

export interface UsersTable {
  id: string
  tenant_id: string
  store_domain: string
  username: string
  /** Lower-cased user name: uniqueness and look-up are case-insensitive. */
  username_key: string
  status: 'active' | 'locked' | 'disabled'
  lock_reason: string | null
  created_at: number
  updated_at: number
  /** Increments on every change (ETag material for later interfaces). */
  version: number
}

export interface UserClaimsTable {
  user_id: string
  tenant_id: string
  claim_uri: string
  value: string
  /** `comparisonKey(value)`: what case-insensitive filters compare and index. */
  value_key: string
}

export interface PasswordCredentialsTable {
  user_id: string
  tenant_id: string
  /** PHC-style encoded hash; imported formats keep their own prefix until upgraded. */
  hash: string
  changed_at: number
  updated_at: number
}

export interface RolesTable {
  id: string
  tenant_id: string
  name: string
  name_key: string
  builtin: number
  /** The SCIM client's own identifier of the group (`externalId`), compared exactly. */
  external_id: string | null
  created_at: number
  updated_at: number
  /** Increments on every change of the role or its members (SCIM ETag). */
  version: number
}

export interface RolePermissionsTable {
  role_id: string
  permission: string
}

export interface UserRolesTable {
  user_id: string
  role_id: string
  tenant_id: string
  assigned_at: number
}

export interface SessionsTable {
  id: string
  tenant_id: string
  user_id: string
  /** SHA-256 of the bearer value; the value itself is never stored. */
  token_hash: string
  created_at: number
  expires_at: number
  last_seen_at: number
  revoked_at: number | null
  client_address: string | null
  user_agent: string | null
  /**
   * `password-reset`: opened with a one-time password; its only power is setting a new password.
   * `reset-prompt`: opened by a correct password that must be replaced (the reset-password
   * prompt); its only powers are setting a new password and, where allowed, skipping.
   */
  purpose: SessionPurpose
}

export type SessionPurpose = 'full' | 'password-reset' | 'reset-prompt'

export interface ApiTokensTable {
  id: string
  tenant_id: string
  name: string
  token_hash: string
  /** JSON array of permissions. */
  scopes: string
  created_by: string
  created_at: number
  expires_at: number | null
  last_used_at: number | null
  revoked_at: number | null
}

export interface AuditEventsTable {
  id: Generated<number>
  tenant_id: string | null
  occurred_at: number
  actor: string
  action: string
  target: string | null
  outcome: 'success' | 'failure'
  /** JSON object of non-secret details. */
  detail: string
  /** The address of the client whose request led to the event, where one did (migration 007). */
  client_address: string | null
}

export interface EmailTemplatesTable {
  tenant_id: string
  type: string
  locale: string
  subject: string
  html: string
  text: string
  updated_at: number
  updated_by: string
}

export type OutboxStatus = 'queued' | 'sent' | 'dead'
export type OutboxTransport = 'smtp' | 'mailbox'

export interface OutboxMessagesTable {
  id: string
  tenant_id: string
  idempotency_key: string
  type: string
  locale: string
  recipient: string
  user_id: string | null
  subject: string
  /** Sealed: the template values while queued; in the mailbox, the values and a template snapshot, or the rendered body (stored-body.ts); null once SMTP accepted the message. */
  body_sealed: string | null
  status: OutboxStatus
  transport: OutboxTransport | null
  attempts: number
  next_attempt_at: number
  lease_owner: string | null
  lease_expires_at: number | null
  last_error: string | null
  smtp_response: string | null
  created_at: number
  updated_at: number
  sent_at: number | null
}

/** A message body template as the mailbox rendered with it (decision 0028); never changed. */
export interface TemplateSnapshotsTable {
  /** SHA-256 (hex) of the type and both parts lists: the same content is the same row. */
  id: string
  type: string
  /** The compiled HTML body: JSON, a list of literal strings and `{ "placeholder": name }`. */
  html_parts: string
  /** The compiled text body, in the same form. */
  text_parts: string
  created_at: number
}

export interface OutboxAttemptsTable {
  id: Generated<number>
  message_id: string
  attempted_at: number
  worker: string
  outcome: 'sent' | 'temporary' | 'permanent' | 'mailbox'
  detail: string
}

export interface TenantSettingsTable {
  tenant_id: string
  name: string
  /** JSON. */
  value: string
  updated_at: number
  updated_by: string
}

export interface TenantSmtpSettingsTable {
  tenant_id: string
  /** Sealed SMTP URL: it may carry the relay password. */
  url_sealed: string
  from_address: string
  updated_at: number
  updated_by: string
}

export type ResetMode = 'email-link' | 'email-otp' | 'offline-otp'

export interface PendingResetsTable {
  user_id: string
  tenant_id: string
  mode: ResetMode
  requested_at: number
  /** Actor name, as audited. */
  requested_by: string
  /** Why: `admin`, `scim`, `bulk`, `soap`, … */
  reason: string
}

export interface ResetCodesTable {
  id: string
  tenant_id: string
  user_id: string
  /**
   * `link-v1`: a link of the first format, sent before links carried their code's id, found by
   * its HMAC until it expires (migration 017).
   */
  kind: 'link' | 'otp' | 'link-v1'
  secret_hmac: string
  /** Offline one-time passwords only: sealed, for administrators to read back. */
  sealed_secret: string | null
  created_at: number
  expires_at: number
  used_at: number | null
  attempts: number
  max_attempts: number
}

export interface PasswordHistoryTable {
  id: string
  tenant_id: string
  user_id: string
  hash: string
  replaced_at: number
  sequence: number
}

export type BulkResetStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'

export interface BulkResetJobsTable {
  id: string
  tenant_id: string
  /** How the users were chosen: a SCIM filter, or a list of ids or user names. */
  selector: 'filter' | 'ids'
  /** The SCIM filter as given (selector `filter`). */
  filter: string | null
  mode: ResetMode
  /** Who asked: every per-user audit event of the job names this actor. */
  actor_kind: 'user' | 'token' | 'cli' | 'system' | 'anonymous'
  actor_id: string | null
  actor_name: string
  /** The interface that asked: `admin-api`, `cli`. */
  channel: string
  status: BulkResetStatus
  /** Users selected when the job was created. */
  total: number
  done: number
  failed: number
  /**
   * Unused, always null: jobs once kept a cursor here. Batches now remove the targets they
   * force, so that several can commit in any order (the column stays for existing stores).
   */
  last_user_id: string | null
  lease_owner: string | null
  lease_expires_at: number | null
  created_at: number
  updated_at: number
  started_at: number | null
  finished_at: number | null
  error: string | null
}

/** The users a job selected when it was created; removed when the job ends. */
export interface BulkResetTargetsTable {
  job_id: string
  user_id: string
}

export interface BulkResetFailuresTable {
  job_id: string
  user_id: string
  /** As displayed (`DOMAIN/name`); null when the user was deleted before its turn. */
  user_name: string | null
  /** An error code: `reset.no-email`, `user.not-found`. */
  reason: string
  occurred_at: number
}

export interface SecurityAnswersTable {
  user_id: string
  tenant_id: string
  /** A question id of the tenant's list. */
  question_id: string
  /** Password hash of the normalised answer (case and spaces ignored). */
  answer_hash: string
  created_at: number
}

export interface SelfServiceFlowsTable {
  id: string
  tenant_id: string
  attempts: number
  ended: 'completed' | 'exhausted' | null
  expires_at: number
}

export type SelfServiceCounterScope = 'address' | 'account' | 'mail'

export interface SelfServiceCountersTable {
  tenant_id: string
  scope: SelfServiceCounterScope
  /** A keyed hash of the address or account: the table never holds either. */
  subject: string
  window_start: number
  count: number
}

export interface Database {
  tenants: TenantsTable
  user_stores: UserStoresTable
  users: UsersTable
  user_claims: UserClaimsTable
  password_credentials: PasswordCredentialsTable
  roles: RolesTable
  role_permissions: RolePermissionsTable
  user_roles: UserRolesTable
  sessions: SessionsTable
  api_tokens: ApiTokensTable
  audit_events: AuditEventsTable
  email_templates: EmailTemplatesTable
  outbox_messages: OutboxMessagesTable
  outbox_attempts: OutboxAttemptsTable
  template_snapshots: TemplateSnapshotsTable
  tenant_settings: TenantSettingsTable
  tenant_smtp_settings: TenantSmtpSettingsTable
  pending_resets: PendingResetsTable
  reset_codes: ResetCodesTable
  bulk_reset_jobs: BulkResetJobsTable
  bulk_reset_targets: BulkResetTargetsTable
  bulk_reset_failures: BulkResetFailuresTable
  password_history: PasswordHistoryTable
  security_answers: SecurityAnswersTable
  selfservice_flows: SelfServiceFlowsTable
  selfservice_counters: SelfServiceCountersTable
}
