import { buildProgram, runCli } from '../../src/cli/program.ts'

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
