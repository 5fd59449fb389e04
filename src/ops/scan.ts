import type { Command, Reply } from '../common/types.js'
import { markDeclared } from '../keyspace/declared-commands.js'
import { buffers, type KeyContext } from './context.js'
import { asArray, asText } from './replies.js'

/**
 * Iterates a *SCAN cursor: one round trip per page, until the server returns cursor 0. Pages
 * are yielded as the flat reply array (field, value, field, value... for HSCAN/ZSCAN).
 */
export async function* scanPages(
  ctx: KeyContext,
  command: string,
  options: { readonly match?: string; readonly count: number },
): AsyncGenerator<Reply[], void, undefined> {
  let cursor = '0'
  do {
    const args: Command = [
      command,
      ctx.key,
      cursor,
      ...(options.match === undefined ? [] : ['MATCH', options.match]),
      'COUNT',
      options.count,
    ]
    const reply = asArray(
      await ctx.executor.call(markDeclared(args, ctx), { buffers: buffers(ctx) }),
      command,
    )
    cursor = asText(reply[0] ?? null, command)
    yield asArray(reply[1] ?? null, command)
  } while (cursor !== '0')
}
