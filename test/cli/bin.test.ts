import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../support/config.ts'
import { childEnv, runCli } from '../support/processes.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string
  bin: Record<string, string>
  scripts: Record<string, string>
}
const dir = tempDir('rekey-bin-')
const env = { REKEY_DATA_DIR: join(dir, 'data') }
after(() => rmSync(dir, { recursive: true, force: true }))

// The README's quick start is `npm install && npm start`, and operators run `npx rekey …`.
describe('the rekey entry point', () => {
  it('is the package bin, an executable node script, and what npm start runs', () => {
    assert.equal(pkg.bin.rekey, 'bin/rekey.js')
    assert.equal(pkg.scripts.start, 'node bin/rekey.js serve')
    const bin = join(root, pkg.bin.rekey)
    assert.ok((statSync(bin).mode & 0o111) !== 0, 'bin/rekey.js is executable')
    assert.equal(readFileSync(bin, 'utf8').split('\n')[0], '#!/usr/bin/env node')
  })

  it('prints the package version and the help, exit code 0', async () => {
    const version = await runCli(['--version'], env)
    assert.equal(version.code, 0, version.stderr)
    assert.equal(version.stdout.trim(), pkg.version)
    const help = await runCli(['--help'], env)
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, /^Usage: rekey \[options\] \[command\]/)
    for (const command of ['serve', 'migrate', 'config', 'tenant', 'user', 'role', 'token'])
      assert.match(help.stdout, new RegExp(`^ {2}${command}\\b`, 'm'))
  })

  it('runs through npx from the project', async (t) => {
    const answer = await new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'npx',
        ['--no-install', 'rekey', '--version'],
        { cwd: root, env: childEnv(env), timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number | string }).code ?? 1) : 0, stdout, stderr }),
      )
    })
    if (answer.code === 'ENOENT') {
      t.skip('npx is not on the PATH')
      return
    }
    assert.equal(answer.code, 0, answer.stderr)
    assert.equal(answer.stdout.trim(), pkg.version)
  })
})
