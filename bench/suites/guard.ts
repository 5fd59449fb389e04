import { createClient } from 'redis'
import { connect, type RedisExpertClient } from '../../src/index.js'
import type { BenchCase, Suite } from '../harness.js'

const TOTAL = 200_000
const KEYS = 1000

/** Half SET … PX (a write the guard must check for a TTL), half GET, over 1000 keys. */
function command(i: number): string[] {
  const key = `g:${i % KEYS}`
  return i % 2 ? ['GET', key] : ['SET', key, 'v', 'PX', '60000']
}
const COMMANDS = Array.from({ length: TOTAL }, (_, i) => command(i))

function fired(name: string, send: (args: string[]) => Promise<unknown>): BenchCase {
  return {
    name,
    async run() {
      const pending: Promise<unknown>[] = new Array(TOTAL)
      for (let i = 0; i < TOTAL; i++) pending[i] = send(COMMANDS[i] as string[])
      await Promise.all(pending)
      return TOTAL
    },
  }
}

/** The same commands through db.pipeline(), 1000 per pipeline, every pipeline in flight at once. */
function pipelines(name: string, db: RedisExpertClient): BenchCase {
  return {
    name,
    async run() {
      const pending: Promise<unknown>[] = []
      for (let start = 0; start < TOTAL; start += 1000) {
        const pipeline = db.pipeline()
        for (let i = start; i < start + 1000; i++) pipeline.call(COMMANDS[i] as string[])
        pending.push(pipeline.exec())
      }
      await Promise.all(pending)
      return TOTAL
    },
  }
}

export const guardSuite: Suite = {
  name: `guard overhead: ${TOTAL / 1000}k pipelined commands (SET PX / GET)`,
  description:
    'The same 200k commands (half SET … PX, half GET) issued at once, so the driver pipelines them. ' +
    'node-redis raw has its per-command timeout off. "strict" runs every hard stop on every command; ' +
    '"pipeline" sends them as 200 db.pipeline()s of 1000, checked batch by batch.',
  baseline: 'node-redis raw (timeout off)',
  targets: [
    { case: 'client.call, guard strict', minRatio: 0.95 },
    { case: 'db.pipeline() ×200, guard strict', minRatio: 0.95 },
  ],
  async setup(server) {
    const raw = createClient({ url: server.url, RESP: 2, commandOptions: { timeout: 0 } })
    raw.on('error', (e: Error) => console.error(`bench: ${e.message}`))
    await raw.connect()
    const off = await connect({ url: server.url, guard: 'off' })
    const strict = await connect({ url: server.url, guard: 'strict' })
    return {
      cases: [
        fired('node-redis raw (timeout off)', (args) => raw.sendCommand(args)),
        fired('client.call, guard off', (args) => off.call(args)),
        fired('client.call, guard strict', (args) => strict.call(args)),
        pipelines('db.pipeline() ×200, guard strict', strict),
      ],
      async teardown() {
        await Promise.all([raw.close(), off.close(), strict.close()])
      },
    }
  },
}
