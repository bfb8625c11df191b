/** Human tables by default, JSON for scripts. Secrets are only ever passed here on purpose. */
export interface Output {
  json: boolean
  data(value: unknown, table?: { columns: string[]; rows: readonly object[] }): void
  info(message: string): void
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-'
  if (Array.isArray(value)) return value.join(',')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

export function renderTable(columns: string[], objects: readonly object[]): string {
  const rows = objects as ReadonlyArray<Record<string, unknown>>
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  )
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd()
  return [
    line(columns.map((column) => column.toUpperCase())),
    ...rows.map((row) => line(columns.map((column) => cell(row[column])))),
  ].join('\n')
}

export function createOutput(
  json: boolean,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Output {
  return {
    json,
    data(value, table) {
      if (json || !table) {
        stdout.write(`${JSON.stringify(value, null, 2)}\n`)
        return
      }
      stdout.write(`${renderTable(table.columns, table.rows)}\n`)
    },
    info(message) {
      // Informational lines go to stderr so `--json` output stays parseable.
      stderr.write(`${message}\n`)
    },
  }
}
