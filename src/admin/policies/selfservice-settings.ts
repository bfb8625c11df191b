import type { Config } from '../../config/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import {
  pipelineProblems,
  queryableProblems,
  type StageName,
  splitList,
} from '../../flows/selfservice/stages.ts'

/** A tenant's self-service reset settings: the stage pipeline and what a query may name. */
export interface SelfServiceSettings {
  /** In order; empty turns self-service reset off for the tenant. */
  stages: string[]
  queryableAttributes: string[]
}

/** The settings as the flow reads them: validated, typed. */
export interface SelfServicePolicy {
  stages: StageName[]
  queryableAttributes: string[]
}

export function serverSelfServiceSettings(config: Config): SelfServiceSettings {
  return {
    stages: splitList(config.selfservice.stages),
    queryableAttributes: splitList(config.selfservice.queryable_attributes),
  }
}

const strings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

/** The server's settings overlaid with a tenant's (stored documents with another shape are ignored). */
export function mergeSelfServiceSettings(
  server: SelfServiceSettings,
  overrides: Partial<SelfServiceSettings>,
): SelfServiceSettings {
  return {
    stages: strings(overrides.stages) ? overrides.stages : server.stages,
    queryableAttributes: strings(overrides.queryableAttributes)
      ? overrides.queryableAttributes
      : server.queryableAttributes,
  }
}

/** Refuses settings the flow cannot run safely, naming each field. */
export function checkSelfServiceSettings(settings: SelfServiceSettings): void {
  const errors = [
    ...pipelineProblems(settings.stages).map((message) => ({ pointer: '/stages', message })),
    ...queryableProblems(settings.queryableAttributes).map((message) => ({
      pointer: '/queryableAttributes',
      message,
    })),
  ]
  if (errors.length > 0)
    throw new AppError('selfservice.invalid-stages', {
      detail: errors.map((error) => `${error.pointer.slice(1)}: ${error.message}`).join('; '),
      errors,
    })
}

export function toSelfServicePolicy(settings: SelfServiceSettings): SelfServicePolicy {
  return { stages: settings.stages as StageName[], queryableAttributes: settings.queryableAttributes }
}
