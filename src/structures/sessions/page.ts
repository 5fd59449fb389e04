import { positiveInt, strictOptions } from '../../common/validate.js'
import { together } from '../common/round-trip.js'
import type { SessionContext } from './context.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { decodeSession } from './serialization.js'
import type { SessionData } from './types.js'

/** One page of `page()`: sessions in SCAN order, and the cursor of the next page (absent on the last). */
export interface SessionPage {
  readonly sessions: readonly { readonly sid: string; readonly session: SessionData }[]
  readonly next?: string
}

/**
 * A page of sessions for admin screens that list more than `maxListed`: about `limit` sessions
 * (default 100, at most maxListed; one SCAN call may bring a few more), and `next` to pass back
 * for the following page. Stateless: the cursor is the SCAN position (per master on a Cluster),
 * so no server keeps state between pages and any instance of the application can serve the next.
 * As SCAN promises, a session present from the first page to the last is listed; one created or
 * destroyed meanwhile may or may not be, and one may appear twice.
 */
export async function pageSessions(
  ctx: SessionContext,
  options: { cursor?: string; limit?: number },
): Promise<SessionPage> {
  const { maxListed, scanCount } = ctx.options
  strictOptions('page options', options, ['cursor', 'limit'])
  const limit = options.limit ?? Math.min(100, maxListed)
  positiveInt('page: limit (at most maxListed)', limit, undefined, maxListed)
  // Sorted by address, so the cursor's master index means the same master on every call.
  const masters = (await ctx.db.masters()).sort((a, b) => (a.address < b.address ? -1 : 1))
  const sources = ctx.layout.sources
  let at =
    options.cursor === undefined
      ? { source: 0, node: 0, scan: '0' }
      : decodeCursor(
          options.cursor,
          sources.length,
          masters.map((m) => m.address),
        )
  const found: { sid: string; key: string }[] = []
  while (found.length < limit && at.source < sources.length) {
    const source = sources[at.source]!
    const node = masters[at.node]!
    const [next, keys] = (await node.call([
      'SCAN',
      at.scan,
      'MATCH',
      source.match,
      'COUNT',
      scanCount,
      'TYPE',
      'string',
    ])) as [string, string[]]
    for (const key of keys) {
      const sid = source.sidOf(key)
      if (sid !== null) found.push({ sid, key })
    }
    // Next SCAN call: the same master, else the next master, else the next source from its first master.
    if (next !== '0') at = { ...at, scan: next }
    else if (at.node + 1 < masters.length) at = { source: at.source, node: at.node + 1, scan: '0' }
    else at = { source: at.source + 1, node: 0, scan: '0' }
  }
  const values = await together(
    ctx.db,
    found.map(({ key }) => ['GET', key]),
  )
  const sessions: { sid: string; session: SessionData }[] = []
  for (let i = 0; i < found.length; i++) {
    const value = values[i]
    if (value !== null && value !== undefined)
      sessions.push({
        sid: found[i]!.sid,
        session: await decodeSession(ctx.options.serializer, found[i]!.key, String(value)),
      })
  }
  if (at.source >= sources.length) return { sessions }
  return { sessions, next: encodeCursor(at.source, masters[at.node]!.address, at.scan) }
}
