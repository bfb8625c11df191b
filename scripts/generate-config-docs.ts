// Writes docs/configuration.md from the configuration schema (src/config/schema.ts, flattened
// by src/config/fields.ts). `--check` writes nothing and exits 1 when the file is out of date.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderConfigurationReference } from '../src/config/reference-doc.ts'

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url))
const rendered = renderConfigurationReference()

if (process.argv.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {
    // A missing file is out of date like any other.
  }
  if (current !== rendered) {
    console.error(`${target} is out of date with the configuration schema: run \`npm run docs:config\`.`)
    process.exit(1)
  }
  console.log(`${target} is up to date.`)
} else {
  writeFileSync(target, rendered)
  console.log(`wrote ${target}`)
}
