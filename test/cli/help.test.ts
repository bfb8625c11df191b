import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.ts'
import { isolateCliStore, runCliInProcess } from '../support/cli-in-process.ts'

// The command tree is walked in this process: one child process per command would cost a
// minute. test/cli/bin.test.ts checks that the installed entry point gives the same answers.

const run = runCliInProcess

function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((child) => {
    const path = [...prefix, child.name()]
    return [path, ...commandPaths(child, path)]
  })
}

isolateCliStore('rekey-help-')

describe('rekey --help', () => {
  const paths = commandPaths(buildProgram())

  it('covers the commands of the product', () => {
    const names = new Set(paths.map((path) => path.join(' ')))
    for (const expected of [
      'serve',
      'migrate',
      'config check',
      'tenant create',
      'tenant list',
      'user create',
      'user list',
      'user show',
      'user set-password',
      'user lock',
      'user unlock',
      'user delete',
      'role create',
      'role list',
      'role grant',
      'role assign',
      'token create',
      'token list',
      'token revoke',
      'template list',
      'template show',
      'template set',
      'template preview',
      'template reset',
      'smtp test',
      'outbox list',
      'outbox show',
      'outbox resend',
      'outbox work',
      'mailbox list',
      'mailbox show',
      'force-reset',
      'policy reset show',
      'policy reset set',
      'policy password show',
      'policy password set',
      'audit list',
    ])
      assert.ok(names.has(expected), `rekey ${expected} exists`)
  })

  it('answers --help on every command and subcommand with exit code 0', async () => {
    for (const path of [[], ...paths]) {
      const answer = await run([...path, '--help'])
      const line = `rekey ${path.join(' ')} --help`
      assert.equal(answer.code, 0, line)
      assert.equal(answer.err, '', line)
      assert.ok(answer.out.startsWith(`Usage: ${['rekey', ...path].join(' ')} `), `${line}: ${answer.out}`)
      // Every command says what it does, below the usage line.
      assert.match(answer.out.split('\n')[2] ?? '', /^\S.{9,}/, `${line} has a description`)
    }
  })

  it('answers `rekey help COMMAND` the same way', async () => {
    const answer = await run(['help', 'user'])
    assert.equal(answer.code, 0)
    assert.match(answer.out, /^Usage: rekey user /)
    assert.match(answer.out, /set-password/)
  })
})

describe('usage errors exit 2 before anything runs', () => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['user', 'frobnicate'], /unknown command 'frobnicate'/],
    [['user', 'create'], /missing required argument 'name'/],
    [['role', 'assign', 'only-a-role'], /missing required argument 'users'/],
    [['user', 'list', '--colour'], /unknown option '--colour'/],
    [['token', 'create'], /required option '--name <name>' not specified/],
    [['user', 'set-password', 'alex'], /required option '--password-stdin' not specified/],
    // A typo must not mint a token that never expires.
    [
      ['token', 'create', '--name', 'ci', '--expires-in-days', 'abc'],
      /--expires-in-days.*integer from 1 to 3650/,
    ],
    [
      ['token', 'create', '--name', 'ci', '--expires-in-days', '0'],
      /--expires-in-days.*integer from 1 to 3650/,
    ],
    [['user', 'list', '--limit', 'ten'], /--limit.*integer from 1 to 10000/],
    [['user', 'list', '--offset', '-1'], /--offset.*integer from 0/],
    [['user', 'create', 'alex', '--claim', 'no-equals-sign'], /--claim.*expected URI=VALUE/],
    [['user', 'create', 'alex', '--claim', '=value'], /--claim.*expected URI=VALUE/],
  ]
  for (const [args, message] of cases) {
    it(`rekey ${args.join(' ')}`, async () => {
      const answer = await run(args)
      assert.equal(answer.code, 2)
      assert.match(answer.err, message)
      assert.equal(answer.out, '')
    })
  }

  it('a group without its subcommand shows its help as a usage error', async () => {
    const answer = await run(['token'])
    assert.equal(answer.code, 2)
    assert.match(answer.err, /Usage: rekey token /)
  })
})
