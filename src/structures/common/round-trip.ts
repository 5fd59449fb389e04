import { batchScripts, callScripts } from '../../atomic/script.js'
import type { Client } from '../../client/client.js'
import type { Command, Reply } from '../../common/types.js'

/**
 * Independent commands on keys that may live in different slots, in one round trip: one
 * pipeline on a standalone server; on a Cluster, where one batch must stay in one slot, the
 * commands go out at once and are awaited together (same latency, one command each). A
 * defineScript script the server has not cached yet (NOSCRIPT) is sent again with its source,
 * by the toolkit's one fallback (atomic/script.ts): the commands must be safe to repeat.
 */
export async function together(db: Client, commands: readonly Command[]): Promise<Reply[]> {
  if (commands.length === 0) return []
  if (commands.length === 1) return [await callScripts(db, commands[0]!)]
  if (db.mode === 'standalone') return batchScripts(db, commands)
  return Promise.all(commands.map((command) => callScripts(db, command)))
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** A reply that must be an integer (a script's or a counter's). */
export function int(reply: Reply | undefined): number {
  return typeof reply === 'number' ? reply : Number(reply)
}
