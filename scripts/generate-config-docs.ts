import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderConfigurationReference } from '../src/config/reference-doc.ts'

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url))
writeFileSync(target, renderConfigurationReference())
console.log(`wrote ${target}`)
