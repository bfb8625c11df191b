import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Eta } from 'eta/core'

const viewsDir = fileURLToPath(new URL('./views/', import.meta.url))

/** The pages; `layout`, `field` and `error-summary` are parts of them. */
export type ViewName =
  | 'login'
  | 'reset-password'
  | 'account'
  | 'message'
  | 'forgot-password'
  | 'forgot-password-code'
  | 'forgot-password-questions'
  | 'forgot-password-new'

/**
 * The page templates, read and compiled once when the server starts (a broken template stops
 * the start, not a user's request). Every interpolation is HTML-escaped (`<%= %>`); the only
 * raw output (`<%~ %>`) is a rendered page body inside the layout.
 */
export class PageViews {
  private readonly eta = new Eta({ autoEscape: true, autoTrim: [false, 'nl'], cache: true })

  constructor() {
    for (const file of readdirSync(viewsDir)) {
      if (!file.endsWith('.eta')) continue
      this.eta.loadTemplate(`@${file.slice(0, -'.eta'.length)}`, readFileSync(join(viewsDir, file), 'utf8'))
    }
  }

  render(view: ViewName, model: object): string {
    return this.eta.render(`@${view}`, model)
  }
}
