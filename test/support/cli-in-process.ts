import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { buildProgram, runCli } from '../../src/cli/program.ts'
import { tempDir } from './config.ts'

export interface Captured {
  code: number
  out: string
  err: string
}

/**
 * Runs `rekey …` in this process with everything it prints captured: for cases refused while
 * parsing, where a child process per case would cost seconds each.
 */
export async function runCliInProcess(args: string[]): Promise<Captured> {
  let out = ''
  let err = ''
  const program = buildProgram({
    output: {
      writeOut: (text) => {
        out += text
      },
      writeErr: (text) => {
        err += text
      },
    },
  })
  const stderr = {
    write(text: string) {
      err += text
      return true
    },
  } as NodeJS.WritableStream
  const code = await runCli(['node', 'rekey', ...args], program, stderr)
  return { code, out, err }
}

/**
 * Points REKEY_DATA_DIR at a throw-away directory (and unsets DATABASE_URL) for the enclosing
 * suite, restoring both afterwards: should an in-process parse go wrong and reach an action,
 * it must not touch a store in the working tree. Returns the directory, for files a case needs.
 */
export function isolateCliStore(prefix: string): string {
  const dir = tempDir(prefix)
  const saved = { dataDir: process.env.REKEY_DATA_DIR, databaseUrl: process.env.DATABASE_URL }
  before(() => {
    process.env.REKEY_DATA_DIR = join(dir, 'data')
    delete process.env.DATABASE_URL
  })
  after(() => {
    if (saved.dataDir === undefined) delete process.env.REKEY_DATA_DIR
    else process.env.REKEY_DATA_DIR = saved.dataDir
    if (saved.databaseUrl !== undefined) process.env.DATABASE_URL = saved.databaseUrl
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}
