import { pooledRandomBytes } from './random-pool.ts'

/**
 * A UUID (version 7) whose first 48 bits are the time in milliseconds and the other 74 random:
 * rows created together get neighbouring keys, so a bulk insert appends to the end of each
 * index on the id instead of touching a random page per row (in SQLite's B-trees and in
 * PostgreSQL's alike). For ids that only name rows, never for secrets: the time is readable.
 */
export function timeOrderedId(now: number): string {
  const bytes = pooledRandomBytes(16)
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  return uuidOf(bytes)
}

/** Sixteen bytes in a UUID's written form (8-4-4-4-12 hexadecimal digits). */
export function uuidOf(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
