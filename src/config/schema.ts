import Type, { type Static } from 'typebox'

/**
 * The one configuration schema: types, defaults, the documentation line of each key and the
 * environment variable that overrides it. `docs/configuration.md` is generated from this file;
 * defaults live nowhere else.
 *
 * Leaf options carry `env` (the variable name). Names fixed by the product (REKEY_HOST, …,
 * DATABASE_URL) are spelled out; the rest follow REKEY_<SECTION>_<KEY>.
 */
const section = <T extends Type.TProperties>(description: string, properties: T) =>
  Type.Object(properties, { additionalProperties: false, default: {}, description })

export const configSchema = Type.Object(
  {
    server: section('HTTP listener', {
      host: Type.String({
        default: '127.0.0.1',
        minLength: 1,
        env: 'REKEY_HOST',
        description: 'Address to listen on. A non-loopback address needs TLS or `server.behind_proxy`.',
      }),
      port: Type.Integer({
        default: 8080,
        minimum: 0,
        maximum: 65535,
        env: 'REKEY_PORT',
        description: 'TCP port to listen on (0 picks a free port).',
      }),
      public_url: Type.String({
        default: '',
        env: 'REKEY_PUBLIC_URL',
        description:
          'Absolute URL users reach Rekey at, used in links and cookies. Empty: derived from host and port.',
      }),
      behind_proxy: Type.Boolean({
        default: false,
        env: 'REKEY_BEHIND_PROXY',
        description:
          'Set when a TLS-terminating reverse proxy sits in front: trusts X-Forwarded-* and allows plain HTTP on a non-loopback address.',
      }),
      tls_cert_file: Type.String({
        default: '',
        env: 'REKEY_TLS_CERT_FILE',
        description: 'PEM certificate chain; with `tls_key_file`, Rekey serves HTTPS.',
      }),
      tls_key_file: Type.String({
        default: '',
        env: 'REKEY_TLS_KEY_FILE',
        description: 'PEM private key for `tls_cert_file`.',
      }),
      body_limit_bytes: Type.Integer({
        default: 1_048_576,
        minimum: 1024,
        maximum: 67_108_864,
        env: 'REKEY_BODY_LIMIT_BYTES',
        description: 'Largest request body accepted; larger ones get 413.',
      }),
    }),
    storage: section('Database', {
      data_dir: Type.String({
        default: './data',
        minLength: 1,
        env: 'REKEY_DATA_DIR',
        description: 'Directory for the embedded SQLite database and the generated secret key.',
      }),
      database_url: Type.String({
        default: '',
        env: 'DATABASE_URL',
        sensitive: true,
        description:
          'Empty: embedded SQLite file `rekey.db` in the data directory. `postgres://user:pass@host:port/db`: PostgreSQL.',
      }),
      pool_size: Type.Integer({
        default: 10,
        minimum: 1,
        maximum: 200,
        env: 'REKEY_STORAGE_POOL_SIZE',
        description: 'PostgreSQL connection pool size per process.',
      }),
      connect_timeout_ms: Type.Integer({
        default: 5000,
        minimum: 100,
        maximum: 120_000,
        env: 'REKEY_STORAGE_CONNECT_TIMEOUT_MS',
        description: 'How long to wait for a PostgreSQL connection before the store counts as unreachable.',
      }),
      prepared_statements: Type.Boolean({
        default: true,
        env: 'REKEY_STORAGE_PREPARED_STATEMENTS',
        description:
          'PostgreSQL: run the fixed key look-ups and single-row writes as named prepared statements, planned once per connection (decision 0025). Turn off behind a connection pooler in transaction mode that does not carry prepared statements (PgBouncer before 1.21, or without `max_prepared_statements`).',
      }),
      bulk_reset_parallel_batches: Type.Integer({
        default: 2,
        minimum: 1,
        maximum: 32,
        env: 'REKEY_STORAGE_BULK_RESET_PARALLEL_BATCHES',
        description:
          'PostgreSQL: batches of a bulk forced reset one process runs at once, each in its own transaction on its own connection, so the database works on that many cores. At most `pool_size` − 1 are used: one connection stays for requests. The embedded store has one writer and runs one batch at a time.',
      }),
      sqlite_cache_mib: Type.Integer({
        default: 8,
        minimum: 2,
        maximum: 65_536,
        env: 'REKEY_STORAGE_SQLITE_CACHE_MIB',
        description:
          'Page cache of the embedded SQLite database, in MiB. With the memory map (`sqlite_mmap_mib`) covering the file it holds only the pages being written and those newer than the file (in the WAL), and a larger one slows writes: a commit after a page split walks the whole cache (decision 0029). Raise it when the map is off or smaller than the file: pages outside both are read with a system call each.',
      }),
      sqlite_mmap_mib: Type.Integer({
        default: 1024,
        minimum: 0,
        maximum: 2047,
        env: 'REKEY_STORAGE_SQLITE_MMAP_MIB',
        description:
          "How much of the embedded SQLite database file is read through a memory map, in MiB (0: none). Pages beyond the page cache are then read from the operating system's cache without a system call and a copy each; it reserves address space, not memory. SQLite does not map more than 2 GiB.",
      }),
    }),
    admin: section('First start', {
      initial_password: Type.String({
        default: '',
        env: 'REKEY_ADMIN_PASSWORD',
        sensitive: true,
        description:
          'Password for the `admin` user created when the default tenant has no administrator. Empty: a strong password is generated and printed once.',
      }),
    }),
    smtp: section('Outgoing mail', {
      url: Type.String({
        default: '',
        env: 'REKEY_SMTP_URL',
        sensitive: true,
        description:
          'SMTP server as `smtp://user:pass@host:port` (STARTTLS, required when credentials are given) or `smtps://…` (TLS from the first byte). Query options: `starttls`, `tls_reject_unauthorized`, `tls_ca_file`, `pool_size`, `max_messages_per_connection`, `rate_limit_per_second`, `connection_timeout_ms`, `greeting_timeout_ms`, `socket_timeout_ms`. Empty: the built-in mailbox.',
      }),
      from: Type.String({
        default: 'Rekey <no-reply@localhost>',
        minLength: 3,
        maxLength: 320,
        env: 'REKEY_SMTP_FROM',
        description: 'From address of notification mail, e.g. `Example IT <no-reply@example.com>`.',
      }),
      allow_tenant_relays: Type.Boolean({
        default: false,
        env: 'REKEY_SMTP_ALLOW_TENANT_RELAYS',
        description:
          "Let tenant administrators set their tenant's own SMTP relay. Off by default: a relay setting makes the server connect to a host and port of the tenant's choosing and report the answer, which can probe the server's own network.",
      }),
    }),
    reset: section('Forced password reset (server-wide default; each tenant may override)', {
      mode: Type.Union([Type.Literal('email-link'), Type.Literal('email-otp'), Type.Literal('offline-otp')], {
        default: 'email-link',
        env: 'REKEY_RESET_MODE',
        description:
          "How a user forced to reset learns it: `email-link` (a single-use link by email), `email-otp` (a one-time password by email, used once to sign in and set a new password), `offline-otp` (the one-time password is shown to administrators in the user's One Time Password claim). `[identity_mgt.password_reset_by_admin]` with one of `enable_emailed_link_based_reset`, `enable_emailed_otp_based_reset`, `enable_offline_otp_based_reset` set to true selects the same.",
      }),
      otp_length: Type.Integer({
        default: 8,
        minimum: 6,
        maximum: 32,
        env: 'REKEY_RESET_OTP_LENGTH',
        description: 'Characters in a one-time password.',
      }),
      otp_characters: Type.Union(
        [Type.Literal('digits'), Type.Literal('upper-alnum'), Type.Literal('alnum')],
        {
          default: 'upper-alnum',
          env: 'REKEY_RESET_OTP_CHARACTERS',
          description:
            'One-time password alphabet: `digits`, `upper-alnum` (upper-case letters and digits, without look-alikes 0/O, 1/I) or `alnum` (letters and digits).',
        },
      ),
      otp_lifetime_minutes: Type.Integer({
        default: 60,
        minimum: 1,
        maximum: 10_080,
        env: 'REKEY_RESET_OTP_LIFETIME_MINUTES',
        description: 'How long a one-time password works. There is no "never".',
      }),
      link_lifetime_minutes: Type.Integer({
        default: 1440,
        minimum: 5,
        maximum: 43_200,
        env: 'REKEY_RESET_LINK_LIFETIME_MINUTES',
        description: 'How long an emailed reset link works. There is no "never".',
      }),
      max_otp_attempts: Type.Integer({
        default: 5,
        minimum: 1,
        maximum: 100,
        env: 'REKEY_RESET_MAX_OTP_ATTEMPTS',
        description: 'Wrong one-time passwords accepted before the code stops working (counted atomically).',
      }),
      revoke_sessions: Type.Boolean({
        default: true,
        env: 'REKEY_RESET_REVOKE_SESSIONS',
        description: "Revoke the user's sessions and tokens when a reset is forced.",
      }),
      send_confirmation: Type.Boolean({
        default: true,
        env: 'REKEY_RESET_SEND_CONFIRMATION',
        description: 'Email `PasswordResetSuccess` when the user has set the new password.',
      }),
      login_reveals_pending: Type.Boolean({
        default: false,
        env: 'REKEY_RESET_LOGIN_REVEALS_PENDING',
        description:
          'Let the sign-in page say that a reset is pending. Off: the generic "Login failed!" message, which tells an attacker nothing.',
      }),
    }),
    reset_prompt: section('Reset-password prompt at sign-in (a user attribute asks for a new password)', {
      enabled: Type.Boolean({
        default: false,
        env: 'REKEY_RESET_PROMPT_ENABLED',
        description:
          "After a correct password, ask for a new one when the user attribute named by `attribute` is `true`. Off by default: sign-ins then read no attribute. A password older than the password policy's `max_age_days` leads to the prompt either way.",
      }),
      attribute: Type.String({
        default: 'resetPassword',
        minLength: 1,
        maxLength: 255,
        pattern: '^[^\\s]+$',
        env: 'REKEY_RESET_PROMPT_ATTRIBUTE',
        description:
          'Name of the attribute whose value `true` (any letter case) leads to the prompt. With `attribute_source = "claims"` a bare name is the claim `http://wso2.org/claims/<name>`; a full claim URI is used as is.',
      }),
      attribute_source: Type.Union([Type.Literal('claims'), Type.Literal('login-context')], {
        default: 'claims',
        env: 'REKEY_RESET_PROMPT_ATTRIBUTE_SOURCE',
        description:
          "Where the attribute is read: `claims` (the user's claims; setting a new password removes the claim, so the next sign-in is not prompted) or `login-context` (the `context` object of the sign-in request).",
      }),
      allow_skip: Type.Boolean({
        default: false,
        env: 'REKEY_RESET_PROMPT_ALLOW_SKIP',
        description:
          'Let the user skip the prompt and sign in with the current password. Never for an expired password.',
      }),
      regular_expression: Type.String({
        default: '',
        maxLength: 200,
        env: 'REKEY_RESET_PROMPT_REGULAR_EXPRESSION',
        description:
          'Regular expression (Unicode mode) a password chosen at the prompt must match, on top of the password policy. Empty: none. Patterns that could backtrack catastrophically are refused at start.',
      }),
    }),
    notifications: section('Notification outbox', {
      worker: Type.Boolean({
        default: true,
        env: 'REKEY_NOTIFICATIONS_WORKER',
        description:
          'Deliver queued messages from inside `rekey serve`. Off: run `rekey outbox work` as a separate process.',
      }),
      poll_interval_ms: Type.Integer({
        default: 1000,
        minimum: 50,
        maximum: 60_000,
        env: 'REKEY_NOTIFICATIONS_POLL_INTERVAL_MS',
        description:
          'How often an idle worker looks for due messages (a message queued by the same process is picked up at once).',
      }),
      batch_size: Type.Integer({
        default: 200,
        minimum: 1,
        maximum: 10_000,
        env: 'REKEY_NOTIFICATIONS_BATCH_SIZE',
        description:
          'Messages one worker leases at a time, split between its two lanes. Larger batches spread each lease and each record of outcomes over more messages; a worker that dies mid-batch sends at most this many again.',
      }),
      lease_seconds: Type.Integer({
        default: 120,
        minimum: 5,
        maximum: 3600,
        env: 'REKEY_NOTIFICATIONS_LEASE_SECONDS',
        description:
          'How long a leased message belongs to its worker. A worker that dies holding it gives it up when the lease ends, and another delivers it.',
      }),
      max_attempts: Type.Integer({
        default: 10,
        minimum: 1,
        maximum: 100,
        env: 'REKEY_NOTIFICATIONS_MAX_ATTEMPTS',
        description: 'Delivery attempts before a message that keeps failing temporarily becomes `dead`.',
      }),
      retry_base_seconds: Type.Integer({
        default: 10,
        minimum: 1,
        maximum: 3600,
        env: 'REKEY_NOTIFICATIONS_RETRY_BASE_SECONDS',
        description:
          'First retry delay; each later one doubles, with random jitter, up to `retry_max_seconds`.',
      }),
      retry_max_seconds: Type.Integer({
        default: 1800,
        minimum: 1,
        maximum: 86_400,
        env: 'REKEY_NOTIFICATIONS_RETRY_MAX_SECONDS',
        description: 'Longest delay between two attempts.',
      }),
      mailbox_retention_hours: Type.Integer({
        default: 168,
        minimum: 1,
        maximum: 8760,
        env: 'REKEY_NOTIFICATIONS_MAILBOX_RETENTION_HOURS',
        description: 'How long messages delivered to the built-in mailbox, and dead messages, are kept.',
      }),
      support_email: Type.String({
        default: '',
        maxLength: 320,
        env: 'REKEY_NOTIFICATIONS_SUPPORT_EMAIL',
        description:
          'Address users are told to contact when a message was unexpected (`{{support-email}}`). Empty: the address of `smtp.from`.',
      }),
    }),
    passwords: section(
      'Password hashing and the default password policy (each tenant may override the policy)',
      {
        argon2_memory_kib: Type.Integer({
          default: 19_456,
          minimum: 1024,
          maximum: 4_194_304,
          env: 'REKEY_PASSWORDS_ARGON2_MEMORY_KIB',
          description: 'argon2id memory cost in KiB (OWASP: 19456).',
        }),
        argon2_iterations: Type.Integer({
          default: 2,
          minimum: 1,
          maximum: 50,
          env: 'REKEY_PASSWORDS_ARGON2_ITERATIONS',
          description: 'argon2id time cost (OWASP: 2).',
        }),
        argon2_parallelism: Type.Integer({
          default: 1,
          minimum: 1,
          maximum: 16,
          env: 'REKEY_PASSWORDS_ARGON2_PARALLELISM',
          description: 'argon2id lanes (OWASP: 1).',
        }),
        min_length: Type.Integer({
          default: 8,
          minimum: 1,
          maximum: 256,
          env: 'REKEY_PASSWORDS_MIN_LENGTH',
          description: 'Shortest password accepted, in characters.',
        }),
        max_length: Type.Integer({
          default: 256,
          minimum: 16,
          maximum: 4096,
          env: 'REKEY_PASSWORDS_MAX_LENGTH',
          description: 'Longest password accepted, in characters (bounds hashing work per request).',
        }),
        pattern: Type.String({
          default: '',
          maxLength: 200,
          env: 'REKEY_PASSWORDS_PATTERN',
          description:
            'Regular expression (Unicode mode) a new password must match somewhere; anchor it with ^…$ to match all. Empty: no pattern. Patterns that could backtrack catastrophically are refused.',
        }),
        pattern_description: Type.String({
          default: '',
          maxLength: 200,
          env: 'REKEY_PASSWORDS_PATTERN_DESCRIPTION',
          description:
            'What the pattern asks for, shown to users whose password does not match (required with a pattern).',
        }),
        forbid_user_name: Type.Boolean({
          default: true,
          env: 'REKEY_PASSWORDS_FORBID_USER_NAME',
          description: 'Refuse passwords that contain the user name (or the user name reversed).',
        }),
        history_count: Type.Integer({
          default: 5,
          minimum: 0,
          maximum: 24,
          env: 'REKEY_PASSWORDS_HISTORY_COUNT',
          description:
            'How many earlier passwords (the current one included) may not be reused. 0: no history.',
        }),
        check_common_passwords: Type.Boolean({
          default: true,
          env: 'REKEY_PASSWORDS_CHECK_COMMON_PASSWORDS',
          description:
            'Refuse passwords from the shipped list of common passwords (about 94,000 entries), also with a short suffix such as digits appended.',
        }),
        max_age_days: Type.Integer({
          default: 0,
          minimum: 0,
          maximum: 3650,
          env: 'REKEY_PASSWORDS_MAX_AGE_DAYS',
          description:
            'Days after which a password must be replaced: the next sign-in leads to the set-a-new-password prompt. 0: passwords do not expire.',
        }),
      },
    ),
    selfservice: section(
      'Self-service password reset ("Forgot password?"; each tenant may override the stages)',
      {
        stages: Type.String({
          default: 'userQuery,emailValidation,resetStage',
          env: 'REKEY_SELFSERVICE_STAGES',
          description:
            'The stage pipeline, in order, comma-separated: `parameters`, `userQuery`, `emailValidation`, `kbaSecurityAnswerVerificationStage`, `resetStage`. `userQuery` comes first among the account stages, `resetStage` last, with at least one verification stage before it. Empty: self-service reset is off.',
        }),
        queryable_attributes: Type.String({
          default: 'userName,emails',
          env: 'REKEY_SELFSERVICE_QUERYABLE_ATTRIBUTES',
          description:
            'SCIM attributes a `userQuery` filter may name (compared with `eq` only, combined with `and`/`or`), comma-separated: `userName`, `emails`, `phoneNumbers`, `externalId`.',
        }),
        token_lifetime_minutes: Type.Integer({
          default: 15,
          minimum: 1,
          maximum: 1440,
          env: 'REKEY_SELFSERVICE_TOKEN_LIFETIME_MINUTES',
          description: 'How long the token of each stage, and the emailed code, stay valid.',
        }),
        token_keys: Type.String({
          default: '',
          env: 'REKEY_SELFSERVICE_TOKEN_KEYS',
          sensitive: true,
          description:
            'Keys that encrypt flow tokens (JWE, A256GCM), comma-separated `kid:base64-of-32-bytes`; the first encrypts, every one decrypts (rotation). Empty: one key derived from `security.secret_key`. Instances that share a database must share these.',
        }),
        code_length: Type.Integer({
          default: 8,
          minimum: 6,
          maximum: 32,
          env: 'REKEY_SELFSERVICE_CODE_LENGTH',
          description: 'Characters in the emailed code (upper-case letters and digits without look-alikes).',
        }),
        max_attempts: Type.Integer({
          default: 5,
          minimum: 1,
          maximum: 100,
          env: 'REKEY_SELFSERVICE_MAX_ATTEMPTS',
          description:
            'Wrong codes or answers a flow accepts before it ends (counted atomically in the store).',
        }),
        address_failures_per_hour: Type.Integer({
          default: 30,
          minimum: 0,
          maximum: 1_000_000,
          env: 'REKEY_SELFSERVICE_ADDRESS_FAILURES_PER_HOUR',
          description:
            'Wrong codes or answers accepted from one client address per hour, all flows together. 0: no limit.',
        }),
        account_failures_per_hour: Type.Integer({
          default: 10,
          minimum: 0,
          maximum: 1_000_000,
          env: 'REKEY_SELFSERVICE_ACCOUNT_FAILURES_PER_HOUR',
          description:
            'Wrong codes or answers accepted against one account per hour, all flows together. 0: no limit.',
        }),
        account_mails_per_hour: Type.Integer({
          default: 5,
          minimum: 1,
          maximum: 1000,
          env: 'REKEY_SELFSERVICE_ACCOUNT_MAILS_PER_HOUR',
          description:
            'Codes emailed to one account per hour; beyond it flows go on with the same answers but no mail is sent (no mail bombing, nothing revealed).',
        }),
        kba_questions_asked: Type.Integer({
          default: 1,
          minimum: 1,
          maximum: 10,
          env: 'REKEY_SELFSERVICE_KBA_QUESTIONS_ASKED',
          description: 'Security questions the `kbaSecurityAnswerVerificationStage` asks.',
        }),
        kba_answers_required: Type.Integer({
          default: 2,
          minimum: 1,
          maximum: 10,
          env: 'REKEY_SELFSERVICE_KBA_ANSWERS_REQUIRED',
          description: 'Security questions a user answers when setting them; at least `kba_questions_asked`.',
        }),
      },
    ),
    auth: section('Sessions and API authentication', {
      session_ttl_seconds: Type.Integer({
        default: 28_800,
        minimum: 60,
        maximum: 2_592_000,
        env: 'REKEY_AUTH_SESSION_TTL_SECONDS',
        description: 'Lifetime of a sign-in session.',
      }),
      cookie_name: Type.String({
        default: 'rekey_session',
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        env: 'REKEY_AUTH_COOKIE_NAME',
        description: 'Name of the session cookie.',
      }),
      basic_cache_ttl_seconds: Type.Integer({
        default: 60,
        minimum: 0,
        maximum: 3600,
        env: 'REKEY_AUTH_BASIC_CACHE_TTL_SECONDS',
        description:
          'How long a verified HTTP Basic credential is remembered (under a keyed hash) so bursts of API calls do not each cost a password hash. 0 disables.',
      }),
      basic_cache_max_entries: Type.Integer({
        default: 10_000,
        minimum: 1,
        maximum: 1_000_000,
        env: 'REKEY_AUTH_BASIC_CACHE_MAX_ENTRIES',
        description: 'Upper bound on remembered Basic credentials per process.',
      }),
      login_rate_limit_per_minute: Type.Integer({
        default: 600,
        minimum: 0,
        maximum: 1_000_000,
        env: 'REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE',
        description: 'Sign-in requests accepted per client address per minute. 0 disables the limit.',
      }),
    }),
    security: section('Keys', {
      secret_key: Type.String({
        default: '',
        env: 'REKEY_SECRET_KEY',
        sensitive: true,
        description:
          'Server secret (base64, at least 32 bytes) for keyed hashes of codes. Empty: generated once into `<data_dir>/secret.key`. Instances sharing a database must share it.',
      }),
    }),
    scim: section('SCIM 2.0 service provider', {
      max_results: Type.Integer({
        default: 1000,
        minimum: 1,
        maximum: 10_000,
        env: 'REKEY_SCIM_MAX_RESULTS',
        description: 'Most resources one list or search page returns; a larger `count` is reduced to it.',
      }),
      bulk_max_operations: Type.Integer({
        default: 1000,
        minimum: 1,
        maximum: 100_000,
        env: 'REKEY_SCIM_BULK_MAX_OPERATIONS',
        description: 'Most operations one Bulk request may carry (advertised in ServiceProviderConfig).',
      }),
      bulk_max_payload_bytes: Type.Integer({
        default: 1_048_576,
        minimum: 1024,
        maximum: 67_108_864,
        env: 'REKEY_SCIM_BULK_MAX_PAYLOAD_BYTES',
        description:
          'Largest Bulk request body accepted (advertised in ServiceProviderConfig); larger ones get 413.',
      }),
    }),
    log: section('Logging', {
      level: Type.Union(
        [
          Type.Literal('fatal'),
          Type.Literal('error'),
          Type.Literal('warn'),
          Type.Literal('info'),
          Type.Literal('debug'),
          Type.Literal('trace'),
          Type.Literal('silent'),
        ],
        {
          default: 'info',
          env: 'REKEY_LOG_LEVEL',
          description: 'Log level: fatal, error, warn, info, debug, trace or silent.',
        },
      ),
    }),
  },
  { additionalProperties: false },
)

export type Config = Static<typeof configSchema>
