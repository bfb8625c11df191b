#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between a clone
// and a running server (see docs/decisions/0002-run-typescript-through-tsx.md).
import { availableParallelism } from 'node:os'

// Password hashing runs on libuv's thread pool. argon2id is bound by cores and memory
// bandwidth, so more threads than cores only add cache thrashing and latency variance (see
// docs/decisions/0008-hash-threads-match-cores.md). Must be set before the pool first starts,
// hence before any other import; an operator's own UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()))

const { register } = await import('tsx/esm/api')
register()
await import('../src/main.ts')
