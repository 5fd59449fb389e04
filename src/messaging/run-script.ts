import { isNoScript, type Script, scriptError } from '../atomic/script.js'
import type { Executor, RedisArg, Reply } from '../common/types.js'

/**
 * `script.run` with the reply's bulk strings as Buffers when a binary codec needs them
 * (script.run has no `buffers` option): EVALSHA, then EVAL on NOSCRIPT, as script.run does.
 */
export async function runScript<K extends string, A extends string>(
  db: Executor,
  script: Script<K, A>,
  keys: Readonly<Record<K, string>>,
  args: Readonly<Record<A, RedisArg>>,
  buffers: boolean,
): Promise<Reply> {
  if (!buffers) return script.run(db, keys, args)
  const line = script.command(keys, args)
  try {
    return await db.call(line, { buffers })
  } catch (error) {
    if (!isNoScript(error)) throw scriptError(script.name, error)
    try {
      return await db.call(['EVAL', script.source, ...line.slice(2)], { buffers })
    } catch (retryError) {
      throw scriptError(script.name, retryError)
    }
  }
}
