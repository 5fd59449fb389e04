import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { RedisExpertError } from '../errors.js'
import { isKeyspace, type Keyspace } from '../keyspace/define.js'

/**
 * The keyspaces a module exports (or the one named `name`), for the commands that read a
 * declaration: `schema` and `audit --schema`. A `.ts` module is compiled on the fly by tsx.
 */
export async function loadKeyspaces(file: string, name?: string): Promise<Keyspace[]> {
  return selectKeyspaces(await loadModule(file), file, name)
}

/** The keyspaces (as `loadKeyspaces`) and every export of the module, for `codegen` (its scripts). */
export async function loadKeyspaceModule(
  file: string,
  name?: string,
): Promise<{ keyspaces: Keyspace[]; exports: Record<string, unknown> }> {
  const exports = await loadModule(file)
  return { keyspaces: selectKeyspaces(exports, file, name), exports }
}

async function loadModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(file)).href
  let tsImport: ((specifier: string, parentURL: string) => Promise<unknown>) | undefined
  if (/\.[cm]?tsx?$/.test(file)) {
    try {
      ;({ tsImport } = await import('tsx/esm/api'))
    } catch (error) {
      throw new RedisExpertError(
        'NOT_SUPPORTED',
        `loading ${file} needs tsx to compile TypeScript: install it (npm i -D tsx) or point at the compiled .js`,
        { cause: error },
      )
    }
  }
  try {
    return (await (tsImport ? tsImport(url, import.meta.url) : import(url))) as Record<string, unknown>
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)
    throw new RedisExpertError('INVALID_ARGUMENT', `${file}: cannot load the module: ${reason}`, {
      cause: error,
      details: { file },
    })
  }
}

function selectKeyspaces(
  module: Record<string, unknown>,
  file: string,
  name: string | undefined,
): Keyspace[] {
  const named = Object.entries(module).filter(([key, value]) => key !== 'default' && isKeyspace(value))
  if (name !== undefined) {
    const value = module[name]
    if (!isKeyspace(value))
      throw new RedisExpertError(
        'INVALID_ARGUMENT',
        `${file} has no keyspace export named ${JSON.stringify(name)} (keyspace exports: ${named.map(([k]) => k).join(', ') || 'none'})`,
        { details: { file, export: name } },
      )
    return [value]
  }
  if (named.length > 0) return named.map(([, value]) => value as Keyspace)
  if (isKeyspace(module.default)) return [module.default]
  throw new RedisExpertError(
    'INVALID_ARGUMENT',
    `${file} exports no keyspace (exports: ${Object.keys(module).join(', ') || 'none'}); export the result of defineKeyspace()`,
    { details: { file } },
  )
}
