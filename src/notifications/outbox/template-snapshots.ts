import { createHash } from 'node:crypto'
import type { Clock } from '../../domain/clock.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import {
  type TemplateSnapshotRow,
  templateSnapshotsRepository,
} from '../../persistence/repositories/template-snapshots.ts'
import { type CompiledPart, type CompiledTemplate, isPlaceholder } from '../templates/index.ts'

/** What a message body is rendered from: the compiled HTML and text parts (renderBody). */
export type BodyTemplate = Pick<CompiledTemplate, 'html' | 'text'>

/** Snapshots read back and kept in memory: they never change, and there are few. */
const READ_CACHE_LIMIT = 256

function contentId(type: string, html: readonly CompiledPart[], text: readonly CompiledPart[]): string {
  return createHash('sha256')
    .update(JSON.stringify([type, html, text]))
    .digest('hex')
}

/** A stored parts list, or undefined when it is not one (a row written by something else). */
function partsOf(json: string): readonly CompiledPart[] | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return undefined
  }
  if (!Array.isArray(parsed)) return undefined
  const parts: CompiledPart[] = []
  for (const part of parsed) {
    if (typeof part === 'string') parts.push(part)
    else if (
      typeof part === 'object' &&
      part !== null &&
      typeof part.placeholder === 'string' &&
      isPlaceholder(part.placeholder)
    )
      parts.push(Object.freeze({ placeholder: part.placeholder }))
    else return undefined
  }
  return Object.freeze(parts)
}

/**
 * Body templates as the built-in mailbox renders with them (decision 0028). A message delivered
 * to the mailbox keeps its sealed values and the id of the snapshot of the template it was
 * rendered with, instead of its rendered body: a few hundred bytes instead of several kilobytes
 * per message, and no rendering and sealing of that body on the write path. Reading the message
 * renders it from the snapshot, so it shows what was delivered whatever the template has
 * become since.
 */
export class TemplateSnapshots {
  private readonly ids = new WeakMap<CompiledTemplate, string>()
  /** Snapshots the store holds for certain: stored and committed by this process. */
  private readonly stored = new Set<string>()
  private readonly read = new Map<string, BodyTemplate>()

  constructor(private readonly clock: Clock) {}

  /** The snapshot id of a compiled template: SHA-256 of its type and body parts. */
  idOf(compiled: CompiledTemplate): string {
    let id = this.ids.get(compiled)
    if (id === undefined) {
      id = contentId(compiled.type, compiled.html, compiled.text)
      this.ids.set(compiled, id)
    }
    return id
  }

  /**
   * The snapshot id of `compiled` when the store holds that snapshot for certain, else
   * undefined (the caller keeps the rendered body instead). Threat: a message referring to a
   * snapshot whose write was rolled back with some other transaction, leaving a delivered
   * message nobody can read. So only snapshots stored in a transaction of their own, and
   * committed, count; a message's transaction never writes one.
   */
  storedIdOf(compiled: CompiledTemplate): string | undefined {
    const id = this.idOf(compiled)
    return this.stored.has(id) ? id : undefined
  }

  /**
   * Stores snapshots of `templates` (those missing) in a transaction of its own. Refused inside
   * another transaction: they would count as stored before it commits.
   */
  async store(db: Executor, templates: readonly CompiledTemplate[]): Promise<void> {
    if (db.isTransaction) throw new Error('template snapshots are stored in a transaction of their own')
    const rows = new Map<string, TemplateSnapshotRow>()
    const now = this.clock.now()
    for (const compiled of templates) {
      const id = this.idOf(compiled)
      if (this.stored.has(id) || rows.has(id)) continue
      rows.set(id, {
        id,
        type: compiled.type,
        html_parts: JSON.stringify(compiled.html),
        text_parts: JSON.stringify(compiled.text),
        created_at: now,
      })
    }
    if (rows.size === 0) return
    // Most starts (every CLI command's too) find them all there: a read, and no write lock.
    const present = await templateSnapshotsRepository.presentIds(db, [...rows.keys()])
    const missing = [...rows.values()].filter((row) => !present.has(row.id))
    if (missing.length > 0) await inTransaction(db, (trx) => templateSnapshotsRepository.insert(trx, missing))
    for (const id of rows.keys()) this.stored.add(id)
  }

  /** The body templates of `ids` that the store holds and that read back whole. */
  async bodies(db: Executor, ids: Iterable<string>): Promise<Map<string, BodyTemplate>> {
    const found = new Map<string, BodyTemplate>()
    const missing: string[] = []
    for (const id of new Set(ids)) {
      const known = this.read.get(id)
      if (known) found.set(id, known)
      else missing.push(id)
    }
    for (const row of await templateSnapshotsRepository.findMany(db, missing)) {
      const html = partsOf(row.html_parts)
      const text = partsOf(row.text_parts)
      // Threat: a row changed in the store (or planted before its id was first written) putting
      // other text, a phishing link say, into every message that refers to it. The id is the
      // content's hash, and the message's reference to it is sealed: a row whose content no
      // longer hashes to its id counts as missing.
      if (!html || !text || contentId(row.type, html, text) !== row.id) continue
      const body = Object.freeze({ html, text })
      if (this.read.size >= READ_CACHE_LIMIT) this.read.clear()
      this.read.set(row.id, body)
      found.set(row.id, body)
    }
    return found
  }
}
