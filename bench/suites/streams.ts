/**
 * Stream consumer throughput: entries handled and acknowledged per second by one consumer of a
 * group, concurrency 50, trivial handler, from a stream filled before the clock starts.
 *
 * There is no library peer for consumer groups in Node (BullMQ and bee-queue use lists and sorted
 * sets), so the baseline is the loop Redis's documentation describes, written by hand on raw
 * node-redis: XREADGROUP COUNT 50 BLOCK, handle, XACK each entry. It has none of the worker's
 * recovery, retries, dead letters, renewals or bounded concurrency across reads and recovery;
 * the ratio is what those cost.
 */
import { createClient } from 'redis'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { createStreamProducer, createStreamWorker } from '../../src/messaging/index.js'
import type { BenchCase, Suite } from '../harness.js'

const ENTRIES = 50_000
const CONCURRENCY = 50
const FILL_CHUNK = 1000
const GROUP = 'bench'

const openRaw = (url: string) => createClient({ url, RESP: 2, commandOptions: { timeout: 0 } })
type RawClient = ReturnType<typeof openRaw>

const message = (i: number) => ({ order: i, sku: 'sku-1', quantity: 2 })

/** Refills `stream:{<name>}` with ENTRIES entries and a fresh group (untimed). */
async function fill(db: RedisExpertClient, name: string): Promise<void> {
  const producer = createStreamProducer(db, name, { trim: 'none' })
  await db.call(['DEL', producer.key])
  for (let i = 0; i < ENTRIES; i += FILL_CHUNK)
    await producer.addMany(Array.from({ length: FILL_CHUNK }, (_, j) => message(i + j)))
  await db.call(['XGROUP', 'CREATE', producer.key, GROUP, '0'])
}

function ours(db: RedisExpertClient): BenchCase {
  const name = 'ours'
  return {
    name: 'createStreamWorker',
    prepare: () => fill(db, name),
    run() {
      return new Promise<number>((resolve, reject) => {
        let handled = 0
        const worker = createStreamWorker<unknown>(
          db,
          name,
          () => {
            if (++handled === ENTRIES) setImmediate(() => worker.close().then(() => resolve(ENTRIES), reject))
          },
          { group: GROUP, concurrency: CONCURRENCY, blockMs: 100, onError: reject },
        )
        worker.start().catch(reject)
      })
    },
  }
}

/** The documented consumer loop, by hand: read a batch, handle and XACK each entry, repeat. */
function handWritten(db: RedisExpertClient, raw: RawClient): BenchCase {
  const name = 'raw'
  const key = createStreamProducer(db, name).key
  return {
    name: 'hand-written XREADGROUP + XACK loop (node-redis)',
    prepare: () => fill(db, name),
    async run() {
      let handled = 0
      while (handled < ENTRIES) {
        const reply = (await raw.sendCommand([
          'XREADGROUP',
          'GROUP',
          GROUP,
          'c1',
          'COUNT',
          String(CONCURRENCY),
          'BLOCK',
          '100',
          'STREAMS',
          key,
          '>',
        ])) as [string, [string, string[]][]][] | null
        const entries = reply?.[0]?.[1] ?? []
        await Promise.all(
          entries.map(async ([id, fields]) => {
            JSON.parse(fields[1] as string)
            handled++
            await raw.sendCommand(['XACK', key, GROUP, id])
          }),
        )
      }
      return ENTRIES
    },
  }
}

export const streamSuite: Suite = {
  name: `streams: consumer-group throughput, ${ENTRIES / 1000}k entries, concurrency ${CONCURRENCY}`,
  description:
    `Entries handled and acknowledged per second by one consumer (trivial handler, JSON messages of ${JSON.stringify(message(0)).length} bytes), ` +
    'the stream filled before the clock starts. Baseline: the loop Redis documents, by hand on raw node-redis ' +
    '(XREADGROUP COUNT 50, XACK per entry; no recovery, retries, dead letters or renewals).',
  baseline: 'hand-written XREADGROUP + XACK loop (node-redis)',
  unit: 'entries/s',
  async setup(server) {
    const db = await connect({ url: server.url })
    const raw = openRaw(server.url)
    await raw.connect()
    return {
      cases: [handWritten(db, raw), ours(db)],
      async teardown() {
        await raw.close()
        await db.close()
      },
    }
  },
}
