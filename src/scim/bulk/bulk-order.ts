/**
 * The order a BulkRequest's operations run in. RFC 7644 §3.7 lets a service provider reorder
 * them only when "the same stateful result is achieved as for non-optimized processing", and
 * `failOnErrors` counts errors in the order they happen (§3.7.3), so:
 *
 * - Operations run in request order.
 * - An operation that refers to the bulkId of a later POST (a forward reference, which running
 *   in order could not resolve) has that POST pulled forward to run just before it, with what
 *   that POST refers to in turn: a depth-first order that keeps request order everywhere else.
 * - A POST pulled forward that refers, directly or through others, back to an operation waiting
 *   for it closes a cycle (§3.7.1). The cycle is broken at a reference that can wait (a new
 *   user's manager, deferred-manager.ts): the operation runs without it and is completed right
 *   after the POST it names has run. The reference that closes the cycle is preferred, since
 *   breaking it sends no operation back; otherwise the one nearest to it. A cycle with no
 *   such reference cannot be resolved: each of its operations fails (409).
 *
 * Only a POST with a bulkId creates one. A reference to a bulkId no POST of the request has
 * adds no ordering: the operation fails when its turn comes, as one whose POST failed does.
 */

export interface OrderedOperation {
  /** The bulkId this operation creates: a POST's. */
  creates?: string | undefined
  /** Every bulkId the operation refers to. */
  references: ReadonlySet<string>
  /** The one reference the operation can run without and be completed on later. */
  deferrable?: string | undefined
}

export type BulkStep =
  /** Run the operation; without its reference to `deferred`, if given. */
  | { kind: 'run'; index: number; deferred?: string }
  /** The operation takes part in a cycle that cannot be resolved: `cycle` lists its bulkIds. */
  | { kind: 'unresolvable'; index: number; cycle: readonly string[] }
  /** Give the operation, run earlier without it, its reference to `bulkId`, now created. */
  | { kind: 'complete'; index: number; bulkId: string }

interface Edge {
  target: number
  bulkId: string
  deferrable: boolean
}

const UNVISITED = 0
const WAITING = 1
const PLACED = 2

export function bulkOrder(operations: readonly OrderedOperation[]): BulkStep[] {
  const creators = new Map<string, number>()
  operations.forEach((operation, index) => {
    if (operation.creates !== undefined) creators.set(operation.creates, index)
  })
  const edges: Edge[][] = operations.map((operation) =>
    [...operation.references]
      .flatMap((bulkId) => {
        const target = creators.get(bulkId)
        return target === undefined ? [] : [{ target, bulkId, deferrable: bulkId === operation.deferrable }]
      })
      // Several forward references: their POSTs are pulled forward in request order.
      .sort((a, b) => a.target - b.target),
  )
  const state = new Uint8Array(operations.length)
  // Each operation's next edge to follow. Kept when an operation goes back to UNVISITED: the
  // edges before it lead to operations already placed, which stay placed.
  const nextEdge = new Array<number>(operations.length).fill(0)
  const deferred = new Map<number, string>()
  const unresolvable = new Map<number, readonly string[]>()
  const order: number[] = []

  for (let root = 0; root < operations.length; root++) {
    if (state[root] !== UNVISITED) continue
    // The operations waiting, each for the one above it; every one above the root is a POST.
    const stack = [root]
    state[root] = WAITING
    while (stack.length > 0) {
      const node = stack[stack.length - 1]!
      const edge = edges[node]![nextEdge[node]!]
      if (unresolvable.has(node) || edge === undefined) {
        stack.pop()
        state[node] = PLACED
        order.push(node)
      } else if (state[edge.target] === PLACED) nextEdge[node]!++
      else if (state[edge.target] === UNVISITED) {
        state[edge.target] = WAITING
        stack.push(edge.target)
      } else {
        // A cycle: the operations from edge.target up to node wait for each other, each
        // through its current edge (node's closes the cycle).
        const cycle = stack.slice(stack.lastIndexOf(edge.target))
        const breakAt = cycle.findLastIndex((member) => edges[member]![nextEdge[member]!]!.deferrable)
        if (breakAt === -1) {
          const bulkIds = [...cycle, edge.target].map((member) => operations[member]!.creates ?? '')
          for (const member of cycle) unresolvable.set(member, bulkIds)
        } else {
          const member = cycle[breakAt]!
          deferred.set(member, edges[member]![nextEdge[member]!]!.bulkId)
          nextEdge[member]!++
          // Those above it waited for it alone: back to be visited in their turn.
          const above = stack.splice(stack.length - cycle.length + breakAt + 1)
          for (const operation of above) state[operation] = UNVISITED
        }
      }
    }
  }

  // A completion runs right after the later of the operation and the POST it waits for.
  const position = new Map(order.map((index, at) => [index, at]))
  const completions = new Map<number, number[]>()
  for (const [index, bulkId] of deferred) {
    if (unresolvable.has(index)) continue
    const at = Math.max(position.get(index)!, position.get(creators.get(bulkId)!)!)
    completions.set(at, [...(completions.get(at) ?? []), index])
  }
  return order.flatMap((index, at): BulkStep[] => {
    const cycle = unresolvable.get(index)
    const bulkId = deferred.get(index)
    const step: BulkStep = cycle
      ? { kind: 'unresolvable', index, cycle }
      : { kind: 'run', index, ...(bulkId === undefined ? {} : { deferred: bulkId }) }
    const after = (completions.get(at) ?? []).map(
      (waiting): BulkStep => ({ kind: 'complete', index: waiting, bulkId: deferred.get(waiting)! }),
    )
    return [step, ...after]
  })
}
