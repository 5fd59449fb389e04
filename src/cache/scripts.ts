import { defineScript, isNoScript, type Script, scriptError } from '../atomic/script.js'
import type { CallOptions, Command, Executor, RedisArg, Reply } from '../common/types.js'

const lua = (name: string) => new URL(`./lua/${name}.lua`, import.meta.url)

export const leaseScript = defineScript({
  name: 'cache-lease',
  file: lua('lease'),
  keys: ['value', 'lease', 'generation'],
  args: ['token', 'leaseMs', 'now', 'stamp'],
})

export const commitScript = defineScript({
  name: 'cache-commit',
  file: lua('commit'),
  keys: ['value', 'lease', 'generation'],
  args: ['token', 'generation', 'envelope', 'px', 'channel', 'message'],
})

export const releaseScript = defineScript({
  name: 'cache-release',
  file: lua('release'),
  keys: ['lease'],
  args: ['token', 'channel', 'message'],
})

export const deleteScript = defineScript({
  name: 'cache-delete',
  file: lua('delete'),
  keys: ['value', 'lease', 'generation'],
  args: ['generationMs', 'channel', 'message'],
})

export const writeScript = defineScript({
  name: 'cache-write',
  file: lua('write'),
  keys: ['value', 'generation'],
  args: ['envelope', 'px', 'generationMs', 'channel', 'message', 'keepTags'],
})

export const tagsScript = defineScript({
  name: 'cache-tags',
  file: lua('tags'),
  keys: ['tags'],
  args: ['tags', 'retentionMs', 'channel', 'message'],
})

export const CACHE_SCRIPTS: readonly Script[] = [
  leaseScript,
  commitScript,
  releaseScript,
  deleteScript,
  writeScript,
  tagsScript,
] as readonly Script[]

/**
 * Like `script.run`, but with the cache's own timeout and reply mode (`Script.run` takes
 * neither): EVALSHA, and EVAL once on NOSCRIPT. Scripts are loaded on every master at
 * createCache, so the fallback only runs after a restart, failover or SCRIPT FLUSH.
 */
export async function runScript<K extends string, A extends string, T extends Reply = Reply>(
  db: Executor,
  script: Script<K, A>,
  keys: Readonly<Record<K, string>>,
  args: Readonly<Record<A, RedisArg>>,
  options: CallOptions,
): Promise<T> {
  const command = script.command(keys, args)
  try {
    return await db.call<T>(command, options)
  } catch (error) {
    if (!isNoScript(error)) throw scriptError(script.name, error)
    try {
      return await db.call<T>(withSource(command, script), options)
    } catch (retryError) {
      throw scriptError(script.name, retryError)
    }
  }
}

/** Several script calls in one pipeline (one slot on a Cluster); EVAL for all on NOSCRIPT. */
export async function runScriptBatch(
  db: Executor,
  script: Script,
  commands: readonly Command[],
  options: CallOptions,
): Promise<Reply[]> {
  try {
    return await db.batch(commands, options)
  } catch (error) {
    if (!isNoScript(error)) throw scriptError(script.name, error)
    return db.batch(
      commands.map((command) => withSource(command, script)),
      options,
    )
  }
}

function withSource(command: Command, script: Script): Command {
  return [command[0] === 'EVALSHA_RO' ? 'EVAL_RO' : 'EVAL', script.source, ...command.slice(2)]
}
