import { readFileSync } from 'node:fs'
import { Argument, type Command, InvalidArgumentError, Option } from 'commander'
import { AppError } from '../../errors/app-error.ts'
import type { TemplateSummary, TemplateView } from '../../notifications/template-service.ts'
import {
  DEFAULT_LOCALE,
  type EmailTemplate,
  normalizeLocale,
  type RenderedEmail,
  TEMPLATE_FIELDS,
  TEMPLATE_TYPES,
  type TemplateField,
  type TemplateType,
  validateTemplate,
} from '../../notifications/templates/index.ts'
import { cliActor } from '../../observability/audit.ts'
import { type GlobalOptions, withContext } from '../context.ts'
import { renderTable } from '../output.ts'

const summaryColumns = ['type', 'locale', 'customized', 'updatedAt']

interface SourceOptions {
  subject?: string
  subjectFile?: string
  htmlFile?: string
  htmlStdin?: boolean
  textFile?: string
  textStdin?: boolean
}

interface ShowOptions {
  field?: TemplateField
}

/** A template read from the command line, with where each field came from, for problem reports. */
interface Draft {
  template: EmailTemplate
  sources: Record<TemplateField, string>
}

function locale(value: string): string {
  const normalized = normalizeLocale(value)
  if (!normalized) throw new InvalidArgumentError('expected a locale tag such as en, fr or pt-BR.')
  return normalized
}

const typeArgument = () => new Argument('<type>', 'template type').choices(TEMPLATE_TYPES)
const fieldOption = () =>
  new Option('--field <field>', 'print only this field, exactly as it is (for editing)').choices(
    TEMPLATE_FIELDS,
  )

/**
 * Three fields of which two are documents: each comes from a file (or one of them from standard
 * input), so HTML is never squeezed through shell quoting and problems can be located by line
 * and column in the file the operator edits.
 */
function withSourceOptions(command: Command): Command {
  return command
    .addOption(new Option('--subject <text>', 'subject line').conflicts('subjectFile'))
    .option('--subject-file <file>', 'read the subject from a file (one trailing line break is dropped)')
    .addOption(new Option('--html-file <file>', 'read the HTML body from a file').conflicts('htmlStdin'))
    .addOption(new Option('--html-stdin', 'read the HTML body from standard input').conflicts('textStdin'))
    .addOption(new Option('--text-file <file>', 'read the text body from a file').conflicts('textStdin'))
    .option('--text-stdin', 'read the text body from standard input')
}

/** The draft the options describe; undefined when none of them was given. */
async function readDraft(options: SourceOptions, command: Command): Promise<Draft | undefined> {
  const subjectGiven = options.subject !== undefined || options.subjectFile !== undefined
  const htmlGiven = options.htmlFile !== undefined || options.htmlStdin === true
  const textGiven = options.textFile !== undefined || options.textStdin === true
  if (!subjectGiven && !htmlGiven && !textGiven) return undefined
  const missing = [
    subjectGiven ? undefined : '--subject <text> or --subject-file <file>',
    htmlGiven ? undefined : '--html-file <file> or --html-stdin',
    textGiven ? undefined : '--text-file <file> or --text-stdin',
  ].filter((item) => item !== undefined)
  // All three or none: an HTML body paired with an older text body would let the two
  // alternatives of one message say different things.
  if (missing.length > 0)
    command.error(`error: a template needs all three fields; add ${missing.join(' and ')}`)

  const stdin = options.htmlStdin || options.textStdin ? await readStandardInput(command) : undefined
  const subject =
    options.subject ?? readText(command, '--subject-file', options.subjectFile!).replace(/\r?\n$/, '')
  const html = options.htmlStdin ? stdin! : readText(command, '--html-file', options.htmlFile!)
  const text = options.textStdin ? stdin! : readText(command, '--text-file', options.textFile!)
  return {
    template: { subject, html, text },
    sources: {
      subject: options.subjectFile ?? '--subject',
      html: options.htmlFile ?? '<stdin>',
      text: options.textFile ?? '<stdin>',
    },
  }
}

function readText(command: Command, option: string, path: string): string {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (error) {
    command.error(`error: cannot read ${option} ${path}: ${fileProblem(error)}`)
  }
  return decode(command, bytes, `${option} ${path}`)
}

async function readStandardInput(command: Command): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return decode(command, Buffer.concat(chunks), 'standard input')
}

/** Strict UTF-8: a file in another encoding would otherwise be saved with replacement characters. */
function decode(command: Command, bytes: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    command.error(`error: ${what} is not UTF-8 text`)
  }
}

function fileProblem(error: unknown): string {
  const code = (error as { code?: string }).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EISDIR') return 'it is a directory'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  return error instanceof Error ? error.message : String(error)
}

/**
 * Checks the draft before the store is opened and refuses it with every problem, placed as
 * FILE:LINE:COLUMN in the file it came from, which editors and terminals can jump to. The
 * service checks again when saving.
 */
function refuseInvalid(type: TemplateType, localeTag: string, draft: Draft, verdict: string): void {
  const problems = validateTemplate(type, draft.template)
  if (problems.length === 0) return
  throw new AppError('template.invalid', {
    detail: `The ${type} template (${localeTag}) ${verdict}: ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}.`,
    errors: problems.map(({ field, position, reason }) => {
      const source = draft.sources[field]
      return {
        pointer: `/${field}`,
        message: `${position ? `${source}:${position.line}:${position.column}` : source}: ${reason}`,
      }
    }),
  })
}

function summaryRow(view: TemplateView | TemplateSummary) {
  return { type: view.type, locale: view.locale, customized: view.customized, updatedAt: view.updatedAt }
}

/** A message for people: its particulars as a table, then each body under a heading. */
function printMessage(rows: Array<{ field: string; value: unknown }>, message: RenderedEmail): void {
  process.stdout.write(
    [
      renderTable(['field', 'value'], [...rows, { field: 'subject', value: message.subject }]),
      '',
      '== text ==',
      message.text.replace(/\n$/, ''),
      '',
      '== html ==',
      message.html.replace(/\n$/, ''),
      '',
    ].join('\n'),
  )
}

export function registerTemplateCommands(program: Command, globals: () => GlobalOptions): void {
  const template = program.command('template').description('Manage email templates of a tenant')

  template
    .command('list')
    .description('List email templates by type and locale, and which the tenant customized')
    .action(async () => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const templates = await container.templates.list(await tenant())
        out.data({ templates }, { columns: summaryColumns, rows: templates.map(summaryRow) })
      })
    })

  template
    .command('show')
    .description("Show a template's subject, text body and HTML body")
    .addArgument(typeArgument())
    .argument('[locale]', 'locale tag such as en, fr or pt-BR', locale, DEFAULT_LOCALE)
    .addOption(fieldOption())
    .action(async (type: TemplateType, localeTag: string, options: ShowOptions) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const view = await container.templates.get(await tenant(), type, localeTag)
        if (options.field) process.stdout.write(view[options.field])
        else if (out.json) out.data(view)
        else
          printMessage(
            [
              { field: 'type', value: view.type },
              { field: 'locale', value: view.locale },
              { field: 'customized', value: view.customized },
              { field: 'updatedAt', value: view.updatedAt },
              { field: 'updatedBy', value: view.updatedBy },
            ],
            view,
          )
      })
    })

  withSourceOptions(
    template
      .command('set')
      .description('Save a template (refused, with every problem located, when it is not valid)')
      .addArgument(typeArgument())
      .argument('<locale>', 'locale tag such as en, fr or pt-BR', locale),
  ).action(async (type: TemplateType, localeTag: string, options: SourceOptions, command: Command) => {
    const draft = await readDraft(options, command)
    if (!draft)
      command.error(
        'error: give the subject (--subject or --subject-file), the HTML body (--html-file or --html-stdin) and the text body (--text-file or --text-stdin)',
      )
    refuseInvalid(type, localeTag, draft, 'was not saved')
    await withContext(globals(), async ({ container, out, tenant }) => {
      const saved = await container.templates.save(await tenant(), type, localeTag, draft.template, cliActor)
      out.data(saved, { columns: summaryColumns, rows: [summaryRow(saved)] })
    })
  })

  withSourceOptions(
    template
      .command('preview')
      .description('Render a template with sample values: the current one, or a draft given as for set')
      .addArgument(typeArgument())
      .argument('[locale]', 'locale tag such as en, fr or pt-BR', locale, DEFAULT_LOCALE),
  )
    .addOption(fieldOption())
    .action(
      async (
        type: TemplateType,
        localeTag: string,
        options: SourceOptions & ShowOptions,
        command: Command,
      ) => {
        const draft = await readDraft(options, command)
        if (draft) refuseInvalid(type, localeTag, draft, 'is not valid')
        await withContext(globals(), async ({ container, out, tenant }) => {
          const rendered = await container.templates.preview(await tenant(), type, localeTag, draft?.template)
          const answer = { type, locale: localeTag, draft: draft !== undefined, ...rendered }
          if (options.field) process.stdout.write(rendered[options.field])
          else if (out.json) out.data(answer)
          else
            printMessage(
              [
                { field: 'type', value: type },
                { field: 'locale', value: localeTag },
                { field: 'template', value: draft ? 'draft' : 'current' },
              ],
              rendered,
            )
        })
      },
    )

  template
    .command('reset')
    .description("Remove the tenant's own template, so the shipped default applies again")
    .addArgument(typeArgument())
    .argument('<locale>', 'locale tag such as en, fr or pt-BR', locale)
    .action(async (type: TemplateType, localeTag: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const view = await container.templates.reset(await tenant(), type, localeTag, cliActor)
        out.data(view, { columns: summaryColumns, rows: [summaryRow(view)] })
      })
    })
}
