import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { type BulkStep, bulkOrder, type OrderedOperation } from '../../src/scim/bulk/bulk-order.ts'

/** An operation: the bulkId it creates (a POST's), what it refers to, what it can do without. */
const op = (
  creates: string | undefined,
  references: string[] = [],
  deferrable?: string,
): OrderedOperation => ({
  creates,
  references: new Set(references),
  deferrable,
})

/** `2` runs operation 2; `2-x` runs it without its reference to x; `+2` completes it; `!2` fails it. */
function shown(steps: BulkStep[]): string[] {
  return steps.map((step) => {
    if (step.kind === 'complete') return `+${step.index}`
    if (step.kind === 'unresolvable') return `!${step.index}`
    return step.deferred === undefined ? `${step.index}` : `${step.index}-${step.deferred}`
  })
}

describe('bulk order', () => {
  it('keeps request order when nothing refers forward', () => {
    assert.deepEqual(shown(bulkOrder([op('a'), op(undefined, ['a']), op('b', ['a']), op(undefined)])), [
      '0',
      '1',
      '2',
      '3',
    ])
  })

  it('pulls a POST forward to just before the first operation that refers to it', () => {
    // Not earlier: operation 3 may depend on what 0 and 1 did (a userName freed by a DELETE).
    assert.deepEqual(shown(bulkOrder([op('a'), op(undefined, ['a']), op(undefined, ['c']), op('c')])), [
      '0',
      '1',
      '3',
      '2',
    ])
  })

  it('follows forward references depth first, several in request order', () => {
    assert.deepEqual(
      shown(bulkOrder([op(undefined, ['a']), op('b'), op('a', ['d', 'c']), op('c'), op('d', ['b'])])),
      ['3', '1', '4', '2', '0'],
    )
  })

  it('adds no ordering for bulkIds no POST has', () => {
    assert.deepEqual(shown(bulkOrder([op(undefined, ['nobody']), op('a', ['ghost']), op(undefined)])), [
      '0',
      '1',
      '2',
    ])
  })

  it('breaks a cycle at the reference that closes it, and completes that operation right after', () => {
    // Two users, each the other's manager: 1 is pulled forward for 0 and refers back to it.
    assert.deepEqual(shown(bulkOrder([op('u1', ['u2'], 'u2'), op('u2', ['u1'], 'u1'), op(undefined)])), [
      '1-u1',
      '0',
      '+1',
      '2',
    ])
    assert.deepEqual(shown(bulkOrder([op('a', ['b'], 'b'), op('b', ['c'], 'c'), op('c', ['a'], 'a')])), [
      '2-a',
      '1',
      '0',
      '+2',
    ])
    assert.deepEqual(shown(bulkOrder([op(undefined), op('self', ['self'], 'self')])), ['0', '1-self', '+1'])
  })

  it('breaks a cycle nearer its start when the closing reference cannot wait', () => {
    // 0's reference can wait, 1's cannot: 0 runs without it, 1 in its turn, then 0 is completed.
    assert.deepEqual(shown(bulkOrder([op('u', ['g'], 'g'), op('g', ['u']), op(undefined)])), [
      '0-g',
      '1',
      '+0',
      '2',
    ])
  })

  it('fails every operation of a cycle no reference of which can wait', () => {
    const steps = bulkOrder([op('ga', ['gb', 'k']), op('k'), op('gb', ['ga']), op(undefined, ['ga'])])
    assert.deepEqual(shown(steps), ['1', '!2', '!0', '3'])
    for (const step of steps.filter((candidate) => candidate.kind === 'unresolvable'))
      assert.deepEqual(step.cycle, ['ga', 'gb', 'ga'])
    assert.deepEqual(shown(bulkOrder([op('g', ['g'])])), ['!0'])
  })

  it('handles long chains of forward references without recursion', () => {
    const count = 20_000
    const chain = Array.from({ length: count }, (_, index) =>
      op(`n${index}`, index + 1 < count ? [`n${index + 1}`] : []),
    )
    const steps = bulkOrder(chain)
    assert.equal(steps.length, count)
    assert.deepEqual(shown(steps).slice(0, 2), [`${count - 1}`, `${count - 2}`])
  })

  it('always gives an order that respects every reference it does not break', () => {
    const operations = fc
      .array(
        fc.record({
          creates: fc.boolean(),
          references: fc.uniqueArray(fc.nat(9), { maxLength: 3 }),
          deferrable: fc.boolean(),
        }),
        { minLength: 1, maxLength: 10 },
      )
      .map((shapes) =>
        shapes.map(({ creates, references, deferrable }, index) =>
          op(
            creates ? `b${index}` : undefined,
            references.map((target) => `b${target}`),
            deferrable && references.length > 0 ? `b${references[0]}` : undefined,
          ),
        ),
      )
    fc.assert(
      fc.property(operations, (input) => {
        const steps = bulkOrder(input)
        const creator = new Map(
          input.flatMap((operation, index) => (operation.creates ? [[operation.creates, index]] : [])),
        )
        const placed = steps.filter((step) => step.kind !== 'complete').map((step) => step.index)
        assert.deepEqual(
          [...placed].sort((a, b) => a - b),
          input.map((_, index) => index),
          'each once',
        )
        const at = new Map(placed.map((index, position) => [index, position]))
        /** Whether `from` reaches `to` through references that cannot wait. */
        const reaches = (from: number, to: number, seen = new Set<number>()): boolean =>
          [...input[from]!.references].some((bulkId) => {
            const next = creator.get(bulkId)
            if (next === undefined || bulkId === input[from]!.deferrable || seen.has(next)) return false
            seen.add(next)
            return next === to || reaches(next, to, seen)
          })
        for (const step of steps) {
          const operation = input[step.index]!
          if (step.kind === 'unresolvable') {
            assert.ok(reaches(step.index, step.index), `${step.index} is on a cycle that cannot be broken`)
            continue
          }
          if (step.kind === 'complete') {
            const position = steps.indexOf(step)
            const run = steps.findIndex((other) => other.kind === 'run' && other.index === step.index)
            const target = steps.findIndex(
              (other) => other.kind !== 'complete' && other.index === creator.get(step.bulkId),
            )
            assert.ok(run < position && target < position, 'completed after both ran')
            continue
          }
          for (const bulkId of operation.references) {
            const target = creator.get(bulkId)
            if (target === undefined || bulkId === step.deferred) continue
            assert.ok(at.get(target)! < at.get(step.index)!, `${step.index} runs after ${target}`)
          }
          if (step.deferred !== undefined) {
            assert.equal(step.deferred, operation.deferrable)
            assert.equal(
              steps.filter((other) => other.kind === 'complete' && other.index === step.index).length,
              1,
            )
          }
        }
      }),
      { numRuns: 2000 },
    )
  })
})
