import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Eta } from 'eta/core'

const viewsDir = fileURLToPath(new URL('./views/', import.meta.url))

/**
 * The console's templates, read and compiled once when the server starts (a broken template
 * stops the start, not an administrator's request). Every interpolation is HTML-escaped
 * (`<%= %>`); the only raw output (`<%~ %>`) is a rendered part or page body. A file
 * `views/x.eta` is the template `x`; parts (`layout`, `field`, `errors`, `pager`) are included
 * by name.
 */
export class ConsoleViews {
  private readonly eta = new Eta({ autoEscape: true, autoTrim: [false, 'nl'], cache: true })
  private readonly names = new Set<string>()

  constructor() {
    for (const file of readdirSync(viewsDir)) {
      if (!file.endsWith('.eta')) continue
      const name = file.slice(0, -'.eta'.length)
      this.eta.loadTemplate(`@${name}`, readFileSync(join(viewsDir, file), 'utf8'))
      this.names.add(name)
    }
  }

  render(view: string, model: object): string {
    if (!this.names.has(view)) throw new Error(`no console view ${view}`)
    return this.eta.render(`@${view}`, model)
  }
}
