#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between a clone
// and a running server (see docs/decisions/0002-run-typescript-through-tsx.md).
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
