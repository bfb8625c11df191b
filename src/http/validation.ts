import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

function createAjv(coerceTypes: boolean): Ajv {
  // Unknown properties are rejected, not silently dropped, and JSON bodies are not coerced:
  // `{"username": 5}` is a client bug that deserves a 400, not a user named "5".
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: coerceTypes ? 'array' : false,
    strict: false,
  })
  addFormats.default(ajv)
  return ajv
}

const bodyAjv = createAjv(false)
const urlAjv = createAjv(true)

/** Bodies are validated strictly; path and query values (always strings on the wire) are coerced. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : urlAjv
  return ajv.compile(schema as object) as ValidateFunction
}
