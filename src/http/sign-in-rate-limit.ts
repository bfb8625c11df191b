import type { Config } from '../config/schema.ts'

/**
 * The route option that limits a client address to `auth.login_rate_limit_per_minute` requests
 * a minute. Threat: guessing passwords or one-time passwords, and spending the server's hashing
 * threads (each attempt costs argon2 work), from one address. Every route that verifies or sets
 * a password takes it.
 */
export function signInRateLimit(config: Config): { rateLimit?: { max: number; timeWindow: number } } {
  const limit = config.auth.login_rate_limit_per_minute
  return limit > 0 ? { rateLimit: { max: limit, timeWindow: 60_000 } } : {}
}
