import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose'
import type { TokenKey } from './token-keys.ts'

/**
 * What a flow carries from one request to the next. It travels to the client encrypted and
 * authenticated (JWE, `dir` + A256GCM): the client can neither read it (it holds whether the
 * account exists and the emailed code's keyed hash) nor change it. The store keeps only what
 * a token cannot: failed attempts and the end of the flow.
 */
export interface FlowState {
  /** Flow id: attempts and the flow's end are recorded under it. */
  fid: string
  /** Tenant id: a token is refused by any other tenant. */
  tid: string
  /** Index in the tenant's pipeline of the stage awaiting input. */
  stage: number
  /** The stage's name, so a pipeline changed meanwhile does not shift a token to another stage. */
  name: string
  /** Expiry of this stage's token (epoch ms); asking for the requirements again does not extend it. */
  exp: number
  /**
   * The account: a real user id, or, when the query found no eligible account, a decoy id
   * derived from the query. Both have the same shape; only a store lookup tells them apart.
   */
  uid?: string
  /** Keyed hash of the emailed code (hex). */
  code?: string
  /** Security questions asked, by id. */
  kba?: string[]
  /** `returnParams` of the parameters stage, handed back when the flow ends. */
  params?: string
}

const ENCODER = new TextEncoder()
const DECODER = new TextDecoder()
/** A token is a few hundred characters; anything far larger is not ours. */
export const MAX_TOKEN_LENGTH = 8192

export class FlowTokens {
  private readonly byKid: Map<string, Uint8Array>

  constructor(private readonly keys: readonly TokenKey[]) {
    if (keys.length === 0) throw new Error('at least one flow token key is needed')
    this.byKid = new Map(keys.map((entry) => [entry.kid, entry.key]))
  }

  async seal(state: FlowState): Promise<string> {
    const current = this.keys[0]!
    return new CompactEncrypt(ENCODER.encode(JSON.stringify(state)))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current.kid, cty: 'rekey-flow' })
      .encrypt(current.key)
  }

  /** The state of a token this server issued, or undefined for anything else (tampered, unknown key, garbage). */
  async open(token: string): Promise<FlowState | undefined> {
    if (token.length > MAX_TOKEN_LENGTH) return undefined
    try {
      const header = decodeProtectedHeader(token)
      if (header.alg !== 'dir' || header.enc !== 'A256GCM' || typeof header.kid !== 'string') return undefined
      const key = this.byKid.get(header.kid)
      if (!key) return undefined
      const { plaintext } = await compactDecrypt(token, key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      })
      const state = JSON.parse(DECODER.decode(plaintext)) as FlowState
      return isFlowState(state) ? state : undefined
    } catch {
      return undefined
    }
  }
}

function isFlowState(value: unknown): value is FlowState {
  if (typeof value !== 'object' || value === null) return false
  const state = value as Record<string, unknown>
  return (
    typeof state.fid === 'string' &&
    typeof state.tid === 'string' &&
    Number.isInteger(state.stage) &&
    typeof state.name === 'string' &&
    typeof state.exp === 'number'
  )
}
