/**
 * Cache benchmarks against the peers: bentocache, cache-manager + @keyv/redis, and
 * @epic-web/cachified (with its Redis adapter), each in its fastest configuration for the
 * tier measured, on the same server in the same run.
 *
 * - cacheHitSuite: hits at the Redis tier (10k hot keys of ~1 KB JSON, 100 calls in flight),
 *   and with an in-process L1.
 * - cacheStampedeSuite: 1000 concurrent callers of one cold key with a 50 ms loader, in one
 *   process (each case run) and in 4 processes started together (once per library, at setup):
 *   how many times the loader ran. Printed after the table.
 *
 * This file is also the child of the 4-process stampede:
 * `node --import tsx bench/suites/cache.ts --stampede-child <library> <url>`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { cachified } from '@epic-web/cachified'
import { createKeyv } from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { redisCacheAdapter } from 'cachified-redis-adapter'
import { createClient } from 'redis'
import { createCache } from '../../src/cache/index.js'
import { connect, defineKeyspace, t } from '../../src/index.js'
import type { BenchCase, ServerHandle, Suite } from '../harness.js'

interface Item {
  id: number
  name: string
  description: string
  priceCents: number
  tags: string[]
}

const bench = defineKeyspace('bench', {
  item: { pattern: 'item:<id>', type: t.json<Item>(), role: 'cache', ttl: '10m', jitter: 0.1 },
})

const KEYS = 10_000
const IN_FLIGHT = 100
const REDIS_OPS = 50_000
const L1_OPS = 1_000_000
const STAMPEDE_CALLERS = 1000
const LOAD_MS = 50
const TTL_MS = 600_000

/** ~1 KB of JSON. */
function item(id: number): Item {
  return {
    id,
    name: `item ${id}`,
    description: 'lorem ipsum dolor sit amet '.repeat(35),
    priceCents: 1000 + id,
    tags: ['catalogue', `category:${id % 50}`, `brand:${id % 7}`],
  }
}

/** One library's look-aside call: the value for `id`, loading it with `load` on a miss. */
type GetOrSet = (id: number, load: () => Promise<Item>) => Promise<unknown>

interface Library {
  readonly name: string
  readonly getOrSet: GetOrSet
  close(): Promise<void>
}

type LibraryName = 'redis-expert' | 'bentocache' | 'cache-manager' | 'cachified'
const LIBRARIES: readonly LibraryName[] = ['redis-expert', 'bentocache', 'cache-manager', 'cachified']

/** Each library as its documentation sets it up for Redis, with an optional in-process L1. */
async function open(name: LibraryName, url: string, l1 = false): Promise<Library> {
  const { hostname, port } = new URL(url)
  switch (name) {
    case 'redis-expert': {
      const db = await connect({ url })
      const cache = await createCache(db, bench.item, l1 ? { l1: { maxItems: 2 * KEYS } } : {})
      return {
        name,
        getOrSet: (id, load) => cache.getOrSet({ id }, load),
        close: async () => {
          await cache.close()
          await db.close()
        },
      }
    }
    case 'bentocache': {
      const store = bentostore()
      // serialize: false would be faster, but bentocache 1.6.1 then fails in getOrSet (serializer undefined).
      if (l1) store.useL1Layer(memoryDriver({ maxItems: 2 * KEYS }))
      store.useL2Layer(redisDriver({ connection: { host: hostname, port: Number(port) } }))
      const bento = new BentoCache({ default: 'cache', stores: { cache: store } })
      return {
        name,
        getOrSet: (id, load) => bento.getOrSet({ key: `bento:${id}`, factory: load, ttl: TTL_MS }),
        close: () => bento.disconnectAll(),
      }
    }
    case 'cache-manager': {
      const manager = createCacheManager({ stores: [createKeyv(url)] })
      return {
        name,
        getOrSet: (id, load) => manager.wrap(`cm:${id}`, load, TTL_MS),
        close: async () => {
          await manager.disconnect()
        },
      }
    }
    case 'cachified': {
      // Its documented Redis adapter over node-redis, with the per-command timeout off (its fastest setting).
      const client = createClient({ url, RESP: 2, commandOptions: { timeout: 0 } })
      client.on('error', () => {})
      await client.connect()
      const cache = redisCacheAdapter(client)
      return {
        name,
        getOrSet: (id, load) =>
          cachified({ key: `cachified:${id}`, cache, getFreshValue: load, ttl: TTL_MS }),
        close: async () => {
          await client.close()
        },
      }
    }
  }
}

/**
 * `total` calls over `inFlight` workers, each on a random hot key. Every 1024 calls a worker
 * yields to the event loop, as a server between requests does: L1 hits resolve as microtasks
 * only, and a loop that never yields would starve every timer (the clients' timeout sweeps).
 */
async function drive(library: Library, total: number, inFlight: number): Promise<number> {
  let left = total
  const load = () => Promise.reject(new Error('benchmark keys are preloaded: a hit was expected'))
  const worker = async () => {
    while (left-- > 0) {
      await library.getOrSet((Math.random() * KEYS) | 0, load)
      if ((left & 1023) === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return total
}

async function seed(library: Library): Promise<void> {
  for (let from = 0; from < KEYS; from += 500)
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => library.getOrSet(from + i, async () => item(from + i))),
    )
}

function hitCase(name: string, library: () => Library, total: number): BenchCase {
  return { name, run: () => drive(library(), total, IN_FLIGHT) }
}

export const cacheHitSuite: Suite = {
  name: 'cache hits (Redis tier)',
  description: `getOrSet hits on ${KEYS / 1000}k hot keys of ~1 KB JSON, ${IN_FLIGHT} calls in flight, no in-process layer.`,
  baseline: 'cache-manager + @keyv/redis',
  targets: [{ case: 'redis-expert', minRatio: 1.5 }],
  async setup(server: ServerHandle) {
    const libraries = await Promise.all(LIBRARIES.map((name) => open(name, server.url)))
    for (const library of libraries) await seed(library)
    const names: Record<LibraryName, string> = {
      'redis-expert': 'redis-expert',
      bentocache: 'bentocache (L2 only)',
      'cache-manager': 'cache-manager + @keyv/redis',
      cachified: 'cachified + cachified-redis-adapter',
    }
    return {
      cases: libraries.map((library) =>
        hitCase(names[library.name as LibraryName], () => library, REDIS_OPS),
      ),
      async teardown() {
        for (const library of libraries) await library.close()
      },
    }
  },
}

export const cacheL1Suite: Suite = {
  name: 'cache hits with L1',
  description: `The same hits served from an in-process L1, against redis-expert's own Redis tier (baseline).`,
  baseline: 'redis-expert (Redis tier)',
  targets: [{ case: 'redis-expert with L1', minRatio: 20 }],
  async setup(server: ServerHandle) {
    const tier = await open('redis-expert', server.url)
    const l1 = await open('redis-expert', server.url, true)
    const bento = await open('bentocache', server.url, true)
    for (const library of [tier, l1, bento]) await seed(library)
    return {
      cases: [
        hitCase('redis-expert (Redis tier)', () => tier, REDIS_OPS),
        hitCase('redis-expert with L1', () => l1, L1_OPS),
        hitCase('bentocache with L1 (memory + redis)', () => bento, L1_OPS),
      ],
      async teardown() {
        for (const library of [tier, l1, bento]) await library.close()
      },
    }
  },
}

/** 1000 concurrent callers of one cold key; resolves with how many times the loader ran. */
async function stampede(library: Library, id: number, loadMs = LOAD_MS): Promise<number> {
  let loads = 0
  const load = async () => {
    loads++
    await new Promise((resolve) => setTimeout(resolve, loadMs))
    return item(id)
  }
  await Promise.all(Array.from({ length: STAMPEDE_CALLERS }, () => library.getOrSet(id, load)))
  return loads
}

/** Four processes, each with 1000 callers, released at the same instant. */
async function stampedeAcrossProcesses(
  name: LibraryName,
  url: string,
  id: number,
  loadMs: number,
): Promise<number> {
  const file = fileURLToPath(import.meta.url)
  const children: ChildProcess[] = Array.from({ length: 4 }, () =>
    spawn(
      process.execPath,
      ['--import', 'tsx', file, '--stampede-child', name, url, String(id), String(loadMs)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    ),
  )
  const lines = children.map((child) => {
    const queue: string[] = []
    const waiting: ((line: string) => void)[] = []
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const next = waiting.shift()
      if (next) next(line)
      else queue.push(line)
    })
    return () =>
      new Promise<string>((resolve) => {
        const line = queue.shift()
        if (line !== undefined) resolve(line)
        else waiting.push(resolve)
      })
  })
  try {
    await Promise.all(lines.map((next) => next()))
    for (const child of children) child.stdin?.write('go\n')
    const loads = await Promise.all(lines.map(async (next) => Number(await next())))
    return loads.reduce((a, b) => a + b, 0)
  } finally {
    for (const child of children) child.kill()
  }
}

/**
 * The 4-process stampede with the 50 ms loader, and with a 250 ms one: on a small machine the
 * four processes cannot all run at once, and a peer whose processes are scheduled more than
 * 50 ms apart finds the first one's value already stored — luck, not protection. The longer
 * loader shows what each library does when the processes really overlap.
 */
const SLOW_LOAD_MS = 250
const stampedeLoads = new Map<string, { one: number[]; four: number; fourSlow: number }>()

export const cacheStampedeSuite: Suite = {
  name: 'cache stampede',
  description: `${STAMPEDE_CALLERS} concurrent getOrSet of one cold key, ${LOAD_MS} ms loader, one process: callers answered per second. Loader calls per stampede below.`,
  baseline: 'redis-expert',
  async setup(server: ServerHandle) {
    const libraries = await Promise.all(LIBRARIES.map((name) => open(name, server.url)))
    let next = 1_000_000
    for (const name of LIBRARIES)
      stampedeLoads.set(name, {
        one: [],
        four: await stampedeAcrossProcesses(name, server.url, next++, LOAD_MS),
        fourSlow: await stampedeAcrossProcesses(name, server.url, next++, SLOW_LOAD_MS),
      })
    return {
      cases: libraries.map((library) => ({
        name: library.name,
        async run() {
          stampedeLoads.get(library.name)?.one.push(await stampede(library, next++))
          return STAMPEDE_CALLERS
        },
      })),
      async teardown() {
        for (const library of libraries) await library.close()
        const rows = [...stampedeLoads].map(
          ([name, { one, four, fourSlow }]) => `| ${name} | ${Math.max(...one)} | ${four} | ${fourSlow} |`,
        )
        console.log(
          [
            '',
            `Loader calls under a ${STAMPEDE_CALLERS}-caller stampede (${LOAD_MS} ms loader):`,
            '',
            `| library | 1 process (max over runs) | 4 processes together | 4 processes, ${SLOW_LOAD_MS} ms loader |`,
            '|---|---:|---:|---:|',
            ...rows,
          ].join('\n'),
        )
      },
    }
  },
}

export const cacheSuites: readonly Suite[] = [cacheHitSuite, cacheL1Suite, cacheStampedeSuite]

/** The 4-process child: open the library, say ready, wait for "go", stampede, print the loads. */
if (process.argv[2] === '--stampede-child') {
  const [name, url, id, loadMs] = process.argv.slice(3) as [LibraryName, string, string, string]
  const library = await open(name, url)
  // Warm the library's code paths on another key, so that "go" finds every process equally ready.
  await stampede(library, -Number(id))
  process.stdout.write('ready\n')
  const input = createInterface({ input: process.stdin })
  for await (const _ of input) break
  process.stdout.write(`${await stampede(library, Number(id), Number(loadMs))}\n`)
  await library.close()
  process.exit(0)
}
