import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { connect } from '../../src/index.js'
import { findExecutable } from '../../src/testing/index.js'
import type { BenchCase, Suite } from '../harness.js'

const TOTAL = 200_000
const CONCURRENCY = 1000
const KEY = 'bench:value'

type Get = (key: string) => Promise<unknown>

/** 200k GETs issued at once: the driver pipelines them onto the socket. */
function pipelined(name: string, get: Get): BenchCase {
  return {
    name,
    async run() {
      const pending: Promise<unknown>[] = new Array(TOTAL)
      for (let i = 0; i < TOTAL; i++) pending[i] = get(KEY)
      await Promise.all(pending)
      return TOTAL
    },
  }
}

/** 1000 callers each awaiting one GET at a time: a server handling many requests. */
function concurrent(name: string, get: Get): BenchCase {
  return {
    name,
    async run() {
      let left = TOTAL
      const worker = async () => {
        while (left-- > 0) await get(KEY)
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
      return TOTAL
    },
  }
}

const execFileAsync = promisify(execFile)

/** redis-benchmark with 16-deep pipelines: what the server and loopback can do, the machine's ceiling. */
function redisBenchmark(port: number): BenchCase {
  const binary = findExecutable('redis-benchmark')
  return {
    name: "redis-benchmark -P 16 (the machine's ceiling)",
    async run() {
      const { stdout } = await execFileAsync(binary, [
        '-p',
        String(port),
        '-t',
        'get',
        '-n',
        String(TOTAL),
        '-P',
        '16',
        '-q',
      ])
      return { opsPerSecond: Number(/GET: ([\d.]+) requests per second/.exec(stdout)?.[1] ?? Number.NaN) }
    },
  }
}

interface Drivers {
  readonly raw: Get
  readonly rawDefault: Get
  readonly ioredis: Get
  readonly call: Get
  close(): Promise<void>
}

async function openDrivers(url: string, port: number): Promise<Drivers> {
  const raw = createClient({ url, RESP: 2, commandOptions: { timeout: 0 } })
  // node-redis 6 arms an AbortSignal.timeout per command by default (5 s); 60 s keeps the
  // same mechanism and cost without failing the run when the shared machine stalls.
  const rawDefault = createClient({ url, RESP: 2, commandOptions: { timeout: 60_000 } })
  for (const c of [raw, rawDefault]) c.on('error', (e: Error) => console.error(`bench: ${e.message}`))
  await Promise.all([raw.connect(), rawDefault.connect()])
  const io = new Redis(port, '127.0.0.1', { enableAutoPipelining: true })
  const db = await connect({ url })
  await db.call(['SET', KEY, 'x'.repeat(100), 'PX', 3_600_000])
  return {
    raw: (key) => raw.sendCommand(['GET', key]),
    rawDefault: (key) => rawDefault.sendCommand(['GET', key]),
    ioredis: (key) => io.get(key),
    call: (key) => db.call(['GET', key]),
    async close() {
      await Promise.all([raw.close(), rawDefault.close(), db.close()])
      io.disconnect()
    },
  }
}

const DESCRIPTION =
  'GETs of a 100-byte value on one local redis-server. node-redis "raw" has its per-command timeout off ' +
  '(its fastest setting); "timeout per command" keeps node-redis 6\'s default mechanism, an AbortSignal.timeout per command. client.call ' +
  'enforces its own 5 s timeout all the same.'

/** One suite per way of issuing the GETs, each with the same four clients. */
function getSuite(name: string, issue: (name: string, get: Get) => BenchCase, ceiling: boolean): Suite {
  return {
    name,
    description: DESCRIPTION,
    baseline: 'node-redis raw (timeout off)',
    targets: [{ case: 'client.call', minRatio: 0.97 }],
    async setup(server) {
      const d = await openDrivers(server.url, server.port)
      const cases = [
        issue('node-redis raw (timeout off)', d.raw),
        issue('client.call', d.call),
        issue('node-redis (AbortSignal timeout per command)', d.rawDefault),
        issue('ioredis (auto-pipelining)', d.ioredis),
      ]
      if (ceiling) cases.push(redisBenchmark(server.port))
      return { cases, teardown: () => d.close() }
    },
  }
}

export const pipelinedSuite = getSuite(`client.call: ${TOTAL / 1000}k pipelined GETs`, pipelined, true)
export const concurrentSuite = getSuite(
  `client.call: ${TOTAL / 1000}k GETs from ${CONCURRENCY} concurrent callers`,
  concurrent,
  false,
)
