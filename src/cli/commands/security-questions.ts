import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { Container } from '../../container.ts'
import { AppError } from '../../errors/app-error.ts'
import type { SecurityQuestion } from '../../flows/security-questions/question-list.ts'
import { cliActor } from '../../observability/audit.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { type GlobalOptions, withContext } from '../context.ts'
import type { Output } from '../output.ts'

/** What `show` prints, and what `set` and `reset` print after their change: the API's view. */
async function viewOf(container: Container, tenant: TenantRow) {
  const { securityQuestions } = container
  return {
    ...(await securityQuestions.view(tenant)),
    answersRequired: securityQuestions.minimumAnswers(),
    questionsAsked: securityQuestions.questionsAsked(),
  }
}

function printView(out: Output, view: Awaited<ReturnType<typeof viewOf>>) {
  out.data(view, {
    columns: ['id', 'locales', 'text'],
    rows: view.questions.map((question: SecurityQuestion) => ({
      id: question.id,
      locales: Object.keys(question.text),
      text: question.text.en,
    })),
  })
  if (!out.json)
    out.info(
      `${view.isDefault ? 'The built-in list' : "The tenant's own list"}: users answer ${view.answersRequired}, a reset asks ${view.questionsAsked}.`,
    )
}

/**
 * The list in a file: the PUT body (`{"questions": […]}`, also what `show --json` prints) or a
 * bare array. Unreadable or malformed files are usage errors, as for templates.
 */
function readList(command: Command, path: string): { list: unknown; bare: boolean } {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path))
  } catch (error) {
    const code = (error as { code?: string }).code
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : error instanceof TypeError
              ? 'it is not UTF-8 text'
              : String(error)
    command.error(`error: cannot read --file ${path}: ${reason}`)
  }
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    command.error(
      `error: --file ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  if (Array.isArray(document)) return { list: document, bare: true }
  if (document !== null && typeof document === 'object' && 'questions' in document)
    return { list: (document as { questions: unknown }).questions, bare: false }
  command.error(`error: --file ${path} holds neither a list of questions nor {"questions": […]}`)
}

/** The problems of a refused list, each located in the file (`questions.json#/questions/2/id`). */
function locatedInFile(error: unknown, path: string, bare: boolean): unknown {
  if (!(error instanceof AppError) || error.code !== 'security-questions.invalid') return error
  return new AppError(
    'security-questions.invalid',
    {
      detail: 'The question list was not saved; nothing changed.',
      errors: (error.details.errors ?? []).map((problem) => ({
        ...problem,
        pointer: `${path}#${bare ? problem.pointer.replace(/^\/questions/, '') || '/' : problem.pointer}`,
      })),
    },
    { cause: error },
  )
}

export function registerSecurityQuestionCommands(program: Command, globals: () => GlobalOptions): void {
  const group = program
    .command('security-questions')
    .description("Show and replace a tenant's security questions (self-service password reset)")

  group
    .command('show')
    .description("Show the tenant's security questions, and whether they are the built-in list")
    .action(async () => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        printView(out, await viewOf(container, await tenant()))
      })
    })

  group
    .command('set')
    .description(
      "Replace the tenant's questions with a JSON file's; answers to questions left out stop counting",
    )
    .requiredOption(
      '--file <file>',
      'JSON file: {"questions": [{"id": …, "text": {"en": …}}, …]} or the bare list',
    )
    .action(async (options: { file: string }, command: Command) => {
      const { list, bare } = readList(command, options.file)
      await withContext(globals(), async ({ container, out, tenant }) => {
        const scope = await tenant()
        await container.securityQuestions.replaceQuestions(scope, list, cliActor).catch((error: unknown) => {
          throw locatedInFile(error, options.file, bare)
        })
        printView(out, await viewOf(container, scope))
      })
    })

  group
    .command('reset')
    .description('Return the tenant to the built-in security questions')
    .action(async () => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const scope = await tenant()
        await container.securityQuestions.resetQuestions(scope, cliActor)
        printView(out, await viewOf(container, scope))
      })
    })
}
