import type { PasswordWriter, PreparedPassword } from '../credentials/password-writer.ts'
import { accountState, isResetLocked, RESET_LOCK_REASON } from '../domain/account-lock.ts'
import type { Clock } from '../domain/clock.ts'
import { comparisonKey } from '../domain/comparison-key.ts'
import type { Permission } from '../domain/permissions.ts'
import { displayUserName, parseUserName, userNameKey } from '../domain/user-name.ts'
import { AppError } from '../errors/app-error.ts'
import { type ClaimWriteOptions, onlyTheReset } from '../flows/forced-reset/service.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import { type Executor, inTransaction } from '../persistence/executor.ts'
import { claimsRepository } from '../persistence/repositories/claims.ts'
import { credentialsRepository } from '../persistence/repositories/credentials.ts'
import { type PendingResetRow, pendingResetsRepository } from '../persistence/repositories/reset-codes.ts'
import { rolesRepository } from '../persistence/repositories/roles.ts'
import { sessionsRepository } from '../persistence/repositories/sessions.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import { userStoresRepository } from '../persistence/repositories/user-stores.ts'
import { type UserRow, usersRepository } from '../persistence/repositories/users.ts'
import { isUniqueViolation } from '../persistence/store-errors.ts'
import { timeOrderedId } from '../security/time-ordered-id.ts'
import { isUuid } from '../security/tokens.ts'
import { requireAnotherActiveAdministrator, requireWithinCallerPowers } from './caller-powers.ts'
import { validateClaims } from './claims-input.ts'
import { roleNameKey } from './role-service.ts'
import { toUserView, type UserView } from './user-view.ts'

export interface CreateUserInput {
  username: string
  password?: string | undefined
  /** An existing hash imported from another product, instead of `password`. */
  passwordHash?: string | undefined
  claims?: Record<string, string> | undefined
  roles?: string[] | undefined
  /** A password already checked and hashed by the caller (lets callers hash before a transaction). */
  prepared?: PreparedPassword | undefined
}

export interface UpdateUserInput {
  username?: string | undefined
  claims?: Record<string, string | null> | undefined
}

/**
 * Writes a user's claims with the meaning some claims carry (the forced-reset flag starts or
 * cancels a reset; server-maintained claims are refused): the forced-reset service.
 */
export interface UserClaimWriter {
  writeClaimsIn(
    trx: Executor,
    tenant: TenantRow,
    user: UserRow,
    changes: Readonly<Record<string, string | null>>,
    options: ClaimWriteOptions,
  ): Promise<{ reset: 'started' | 'cancelled' | 'unchanged' }>
}

/** Through which interface a change arrives, and the caller's permissions (absent: the CLI). */
export interface WriteContext {
  channel: string
  permissions?: ReadonlySet<Permission> | undefined
}

const adminApiContext: WriteContext = { channel: 'admin-api' }

export class UserService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly passwords: PasswordWriter,
    private readonly claims: UserClaimWriter,
  ) {}

  private parseName(input: string) {
    const parsed = parseUserName(input)
    if (!parsed) {
      throw new AppError('user.invalid-name', {
        detail:
          'A user name is 1-255 printable characters without "/", optionally prefixed by a user store domain as DOMAIN/name.',
        errors: [{ pointer: '/username', message: 'invalid user name' }],
      })
    }
    return parsed
  }

  private async requireStore(db: Executor, tenant: TenantRow, storeDomain: string): Promise<void> {
    if (!(await userStoresRepository.find(db, tenant.id, storeDomain))) {
      throw new AppError('userstore.not-found', {
        detail: `User store domain ${storeDomain} does not exist in this tenant.`,
      })
    }
  }

  async create(
    tenant: TenantRow,
    input: CreateUserInput,
    actor: Actor,
    db: Executor = this.db,
    context: WriteContext = adminApiContext,
  ): Promise<UserView> {
    const { storeDomain, name } = this.parseName(input.username)
    if (input.claims) validateClaims(input.claims, false)
    if (input.password !== undefined && input.passwordHash !== undefined) {
      throw new AppError('request.invalid', { detail: 'Give either password or passwordHash, not both.' })
    }
    let prepared: PreparedPassword | undefined = input.prepared
    if (input.password !== undefined)
      prepared = await this.passwords.prepare(input.password, { tenant, userName: input.username })
    if (input.passwordHash !== undefined) prepared = this.passwords.prepareImported(input.passwordHash)
    const now = this.clock.now()
    const row: UserRow = {
      // Time-ordered (decision 0018): users created together sit together in every index keyed
      // by user id, so work over many users (bulk resets) touches few pages.
      id: timeOrderedId(now),
      tenant_id: tenant.id,
      store_domain: storeDomain,
      username: name,
      username_key: userNameKey(name),
      status: 'active',
      lock_reason: null,
      created_at: now,
      updated_at: now,
      version: 1,
    }
    try {
      await inTransaction(db, async (trx) => {
        await this.requireStore(trx, tenant, storeDomain)
        const roleIds = await this.resolveRoles(trx, tenant, input.roles ?? [])
        await usersRepository.insert(trx, row)
        if (prepared) {
          await this.passwords.write(trx, prepared, {
            tenantId: tenant.id,
            userId: row.id,
            actor,
            reason: 'created',
            isNewUser: true,
          })
        }
        for (const roleId of roleIds)
          await rolesRepository.addMember(trx, tenant.id, roleId, row.id, now, { newUser: true })
        // Last: a forced-reset flag among the claims starts a reset of the finished account.
        if (input.claims)
          await this.claims.writeClaimsIn(trx, tenant, row, input.claims, { actor, ...context })
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'user.created',
          target: row.id,
          detail: {
            username: input.username,
            roles: input.roles ?? [],
            passwordImported: input.passwordHash !== undefined,
          },
        })
      })
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('user.exists', { detail: `User ${input.username} already exists.` })
      throw error
    }
    return this.get(tenant, row.id, db)
  }

  private async resolveRoles(db: Executor, tenant: TenantRow, names: string[]): Promise<string[]> {
    const ids: string[] = []
    for (const name of names) {
      const role = await rolesRepository.findByName(db, tenant.id, roleNameKey(name))
      if (!role) throw new AppError('role.not-found', { detail: `Role ${name} does not exist.` })
      ids.push(role.id)
    }
    return ids
  }

  /** Finds a user by id or by (optionally domain-qualified) user name. */
  async find(tenant: TenantRow, idOrName: string, db: Executor = this.db): Promise<UserRow | undefined> {
    if (isUuid(idOrName)) {
      const byId = await usersRepository.findById(db, tenant.id, idOrName.toLowerCase())
      if (byId) return byId
    }
    const parsed = parseUserName(idOrName)
    if (!parsed) return undefined
    return usersRepository.findByName(db, tenant.id, parsed.storeDomain, userNameKey(parsed.name))
  }

  /**
   * The user with its row held until the transaction ends: a status decided on what it shows
   * (reset-locked, disabled) must not be undone by a trigger or SCIM write committing meanwhile.
   */
  private async requireLocked(tenant: TenantRow, idOrName: string, trx: Executor): Promise<UserRow> {
    const found = await this.require(tenant, idOrName, trx)
    const row = await usersRepository.findForUpdate(trx, tenant.id, found.id)
    if (!row) throw new AppError('user.not-found')
    return row
  }

  async require(tenant: TenantRow, idOrName: string, db: Executor = this.db): Promise<UserRow> {
    const row = await this.find(tenant, idOrName, db)
    if (!row) throw new AppError('user.not-found')
    return row
  }

  async get(tenant: TenantRow, idOrName: string, db: Executor = this.db): Promise<UserView> {
    const row = await this.require(tenant, idOrName, db)
    const [claims, credential, roles] = await Promise.all([
      claimsRepository.forUser(db, row.id),
      credentialsRepository.find(db, row.id),
      rolesRepository.rolesOfUser(db, row.id),
    ])
    return toUserView(
      row,
      claims,
      credential?.changed_at ?? null,
      roles.map((role) => role.name),
    )
  }

  async list(
    tenant: TenantRow,
    query: {
      limit: number
      offset: number
      namePrefix?: string | undefined
      storeDomain?: string | undefined
    },
  ): Promise<{ users: UserView[]; total: number }> {
    const { rows, total } = await usersRepository.list(this.db, tenant.id, query)
    return { users: await this.viewsOf(rows), total }
  }

  /**
   * A page of the users whose displayed name (`ann`, or `PARTNERS/ann` outside the primary
   * store) starts with `prefix`, case-insensitively, in that name's order; every user for an
   * empty prefix. Answered from the display-name index: the console's name search.
   */
  async listByNamePrefix(
    tenant: TenantRow,
    prefix: string,
    page: { limit: number; offset: number },
  ): Promise<{ users: UserView[]; total: number }> {
    const { rows, total } = await usersRepository.listByDisplayPrefix(this.db, tenant.id, {
      prefixKey: comparisonKey(prefix.trim()),
      ...page,
    })
    return { users: await this.viewsOf(rows), total }
  }

  /**
   * A page of the users whose claim `claimUri` holds `value`, compared as SCIM filters compare
   * (case-insensitive): the exact email look-up, answered from the claims' value index.
   */
  async listByClaim(
    tenant: TenantRow,
    claimUri: string,
    value: string,
    page: { limit: number; offset: number },
  ): Promise<{ users: UserView[]; total: number }> {
    const { rows, total } = await usersRepository.listWithClaim(this.db, tenant.id, {
      claimUri,
      valueKey: comparisonKey(value.trim()),
      ...page,
    })
    return { users: await this.viewsOf(rows), total }
  }

  /** The pending forced resets among some of the tenant's users, by user id (one query). */
  async pendingResets(tenant: TenantRow, userIds: readonly string[]): Promise<Map<string, PendingResetRow>> {
    const rows = await pendingResetsRepository.findForUsers(this.db, tenant.id, userIds)
    return new Map(rows.map((row) => [row.user_id, row]))
  }

  /** Views of a page of users: claims and password dates in one query each. */
  private async viewsOf(rows: readonly UserRow[]): Promise<UserView[]> {
    const ids = rows.map((row) => row.id)
    const [claims, changed] = await Promise.all([
      claimsRepository.forUsers(this.db, ids),
      credentialsRepository.changedAtFor(this.db, ids),
    ])
    return rows.map((row) => toUserView(row, claims.get(row.id) ?? {}, changed.get(row.id) ?? null))
  }

  async update(
    tenant: TenantRow,
    idOrName: string,
    input: UpdateUserInput,
    actor: Actor,
    context: WriteContext = adminApiContext,
  ): Promise<UserView> {
    if (input.claims) validateClaims(input.claims, true)
    const parsedName = input.username === undefined ? undefined : this.parseName(input.username)
    try {
      const id = await inTransaction(this.db, async (trx) => {
        const row = await this.require(tenant, idOrName, trx)
        // Before anything is written (a taken name's 409 would tell such a caller whether it exists),
        // and again below, with the user's row held.
        await requireWithinCallerPowers(trx, row.id, context.permissions)
        if (parsedName && parsedName.storeDomain !== row.store_domain) {
          throw new AppError('request.invalid', { detail: 'A user cannot move between user store domains.' })
        }
        await usersRepository.update(trx, tenant.id, row.id, {
          updated_at: this.clock.now(),
          ...(parsedName ? { username: parsedName.name, username_key: userNameKey(parsedName.name) } : {}),
        })
        // With the user's row held: a role gaining a power moves its members' versions, taking
        // their rows, so on PostgreSQL it either committed before this check reads or waits for
        // this write to end. Threat: a write to a user who, a moment earlier, gained powers the
        // caller lacks (its password, then a sign-in as that user).
        await requireWithinCallerPowers(trx, row.id, context.permissions)
        const written = input.claims
          ? await this.claims.writeClaimsIn(trx, tenant, row, input.claims, { actor, ...context })
          : undefined
        if (onlyTheReset(written, Object.keys(input.claims ?? {}).length, parsedName !== undefined))
          return row.id
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'user.updated',
          target: row.id,
          detail: {
            via: context.channel,
            claims: Object.keys(input.claims ?? {}),
            renamed: parsedName !== undefined,
          },
        })
        return row.id
      })
      return this.get(tenant, id)
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('user.exists', { detail: `User ${input.username} already exists.` })
      throw error
    }
  }

  async delete(
    tenant: TenantRow,
    idOrName: string,
    actor: Actor,
    permissions?: ReadonlySet<Permission>,
  ): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const row = await this.require(tenant, idOrName, trx)
      if (actor.kind === 'user' && actor.id === row.id) throw new AppError('user.self-delete')
      await requireWithinCallerPowers(trx, row.id, permissions)
      // Threat: a tenant left with nobody able to administer it.
      if (await rolesRepository.isLastMemberOfBuiltin(trx, row.id))
        throw new AppError('role.last-administrator')
      // Again once the user's roles are held: one of them may have gained a power since (see update).
      await usersRepository.delete(trx, tenant.id, row.id, this.clock.now(), () =>
        requireWithinCallerPowers(trx, row.id, permissions),
      )
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'user.deleted',
        target: row.id,
        detail: { username: row.username },
      })
    })
  }

  async setPassword(
    tenant: TenantRow,
    idOrName: string,
    password: string,
    actor: Actor,
    permissions?: ReadonlySet<Permission>,
  ): Promise<void> {
    const row = await this.require(tenant, idOrName)
    await requireWithinCallerPowers(this.db, row.id, permissions)
    const prepared = await this.passwords.prepare(password, {
      tenant,
      userId: row.id,
      userName: displayUserName(row.store_domain, row.username),
    })
    await inTransaction(this.db, async (trx) => {
      await this.require(tenant, row.id, trx)
      await this.passwords.write(trx, prepared, {
        tenantId: tenant.id,
        userId: row.id,
        actor,
        reason: 'admin-set',
      })
      // Again, with the user's row held (the write took it first): the check above ran before
      // the hashing, and a role may have gained a power since (see update).
      await requireWithinCallerPowers(trx, row.id, permissions)
    })
  }

  async lock(
    tenant: TenantRow,
    idOrName: string,
    reason: string,
    actor: Actor,
    permissions?: ReadonlySet<Permission>,
  ): Promise<UserView> {
    const id = await inTransaction(this.db, async (trx) => {
      const row = await this.requireLocked(tenant, idOrName, trx)
      await requireWithinCallerPowers(trx, row.id, permissions)
      if (row.status === 'active') await requireAnotherActiveAdministrator(trx, row.id)
      // Threat: a lock that looks like a pending reset to the sign-in flow and to other
      // administrators, or one that replaces a pending reset's lock and so can be lifted.
      if (reason === RESET_LOCK_REASON)
        throw new AppError('request.invalid', {
          detail: `${RESET_LOCK_REASON} is set by forced resets only.`,
        })
      refuseWhileResetPending(row)
      const now = this.clock.now()
      // A disabled account stays disabled, locked underneath.
      await usersRepository.update(trx, tenant.id, row.id, {
        ...accountState(row.status !== 'disabled', reason),
        updated_at: now,
      })
      // A locked account must not keep acting through sessions opened before the lock.
      const revoked = await sessionsRepository.revokeAllForUser(trx, row.id, now)
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'user.locked',
        target: row.id,
        detail: { reason, sessionsRevoked: revoked },
      })
      return row.id
    })
    return this.get(tenant, id)
  }

  async unlock(
    tenant: TenantRow,
    idOrName: string,
    actor: Actor,
    permissions?: ReadonlySet<Permission>,
  ): Promise<UserView> {
    const id = await inTransaction(this.db, async (trx) => {
      const row = await this.requireLocked(tenant, idOrName, trx)
      await requireWithinCallerPowers(trx, row.id, permissions)
      refuseWhileResetPending(row)
      // A reset forced under this lock still waits: its own lock comes back, as it does under a
      // disable. Threat: an account that reads as unlocked while its leaked password is refused
      // only by the sign-in check, and that filters for locked accounts no longer find.
      const resetWaits = (await pendingResetsRepository.find(trx, row.id)) !== undefined
      // Unlocking does not enable a disabled account.
      await usersRepository.update(trx, tenant.id, row.id, {
        ...accountState(row.status !== 'disabled', resetWaits ? RESET_LOCK_REASON : null),
        updated_at: this.clock.now(),
      })
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'user.unlocked',
        target: row.id,
        ...(resetWaits ? { detail: { resetLockKept: true } } : {}),
      })
      return row.id
    })
    return this.get(tenant, id)
  }
}

/**
 * Threat: lifting or replacing a pending reset's lock makes the old password work again; only
 * completing the reset or cancelling it (which needs reset:force) unlocks the account.
 */
function refuseWhileResetPending(row: UserRow): void {
  if (isResetLocked(row))
    throw new AppError('user.reset-locked', {
      detail:
        'The account is locked until its forced password reset is completed; cancel the reset to unlock it.',
    })
}
