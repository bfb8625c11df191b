/**
 * Work that mail delivery in this process waits for. A bulk forced reset is the case: until
 * every selected user is committed as pending, some old passwords still work, so its batches
 * come first; the messages they queue are delivered right after.
 */
export interface DeliveryPriority {
  /** True while delivery should wait. */
  readonly busy: boolean
  /** Calls `listener` whenever `busy` turns false; returns the unsubscribe. */
  onIdle(listener: () => void): () => void
}
