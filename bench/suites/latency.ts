/**
 * Add → start latency on an idle queue: one job at a time, the time from calling `add` to the
 * handler starting, for redis-expert, BullMQ and bee-queue (each with its defaults, one worker
 * of concurrency 1, producer and worker on connections of their own in this process). Between
 * jobs the queue stays idle for IDLE_MS, so that each add finds the worker waiting (blocked) —
 * what a mostly idle production queue sees. The libraries take turns job by job (see
 * interleavedPass); each case's time is its own jobs'. The table's figure is 1000 / p50 (higher is better);
 * the p50 / p99 table printed after it is the result.
 *
 * Two suites: without persistence (`queue-latency`) and with AOF `appendfsync everysec`
 * (`queue-latency-aof`, the queue suite's setting). Each sets the server's persistence in its
 * setup: a suite must not measure what the one before it left configured.
 */
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import type { BenchCase, ServerHandle, Suite } from '../harness.js'

const JOBS = 200
const IDLE_MS = 5
const LIBRARIES = ['redis-expert', 'bullmq', 'bee-queue'] as const
type Library = (typeof LIBRARIES)[number]

/** One library's producer and idle worker: `add` resolves when the job was added. */
interface Rig {
  add(n: number): Promise<unknown>
  close(): Promise<void>
}

let started: (n: number) => void = () => {}

interface BeeQueue {
  createJob(data: unknown): { save(): Promise<unknown> }
  process(concurrency: number, handler: (job: { data: unknown }) => Promise<unknown>): void
  ready(): Promise<unknown>
  close(): Promise<void>
}
type BeeConstructor = new (name: string, settings: Record<string, unknown>) => BeeQueue

async function rig(library: Library, url: string, queue: string): Promise<Rig> {
  const onStart = (n: number) => started(n)
  if (library === 'redis-expert') {
    const { connect } = await import('../../src/connect.js')
    const { Queue, Worker } = await import('../../src/queue/index.js')
    const producer = await connect({ url })
    const consumer = await connect({ url })
    const q = new Queue<number>(producer, queue)
    // Starts on construction (autorun), as BullMQ's and bee-queue's workers do here.
    const w = new Worker<number, null>(consumer, queue, (job) => {
      onStart(job.data)
      return null
    })
    return {
      add: (n) => q.add('job', n),
      async close() {
        await w.close()
        await Promise.all([producer.close(), consumer.close()])
      },
    }
  }
  if (library === 'bullmq') {
    const { Queue, Worker } = await import('bullmq')
    const connection = { url, maxRetriesPerRequest: null }
    const q = new Queue(queue, { connection })
    const w = new Worker(
      queue,
      async (job) => {
        onStart(job.data as number)
        return null
      },
      { connection },
    )
    await Promise.all([q.waitUntilReady(), w.waitUntilReady()])
    return {
      add: (n) => q.add('job', n),
      async close() {
        await w.close()
        await q.close()
      },
    }
  }
  const Bee = createRequire(import.meta.url)('bee-queue') as BeeConstructor
  const producer = new Bee(queue, { redis: { url }, isWorker: false, getEvents: false, sendEvents: false })
  const consumer = new Bee(queue, { redis: { url }, isWorker: true, getEvents: false, sendEvents: false })
  await Promise.all([producer.ready(), consumer.ready()])
  consumer.process(1, async (job) => {
    onStart(job.data as number)
    return null
  })
  return {
    add: (n) => producer.createJob(n).save(),
    async close() {
      await Promise.all([producer.close(), consumer.close()])
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every order of `indexes` (n! of them). */
const ordersOf = (indexes: readonly number[]): number[][] =>
  indexes.length <= 1
    ? [[...indexes]]
    : indexes.flatMap((first) => ordersOf(indexes.filter((i) => i !== first)).map((rest) => [first, ...rest]))

/** Every order of the libraries' indexes, taken in turn round after round. */
const ORDERS = ordersOf(LIBRARIES.map((_, i) => i))

/**
 * One pass: the three libraries' rigs side by side, JOBS rounds of one job each, IDLE_MS of
 * idleness after every job. Interleaved rather than one library after the other: on a shared
 * machine the speed drifts by several times within a minute, and a library measured in a slow
 * stretch would lose what it never cost. The rounds go through every order of the three in
 * turn, so that each library follows each other one as often (a rotation would not: what ran
 * just before a job warms or evicts what it touches).
 */
async function interleavedPass(url: string, pass: number): Promise<Record<Library, number[]>> {
  const rigs = await Promise.all(
    LIBRARIES.map((library) => rig(library, url, `lat-${library.replace('-', '')}-${process.pid}-${pass}`)),
  )
  const samples = Object.fromEntries(LIBRARIES.map((library) => [library, [] as number[]])) as Record<
    Library,
    number[]
  >
  try {
    // Let the workers reach their idle wait first.
    await sleep(200)
    for (let n = 0; n < JOBS; n++) {
      for (const i of ORDERS[n % ORDERS.length]!) {
        const start = new Promise<number>((resolve) => {
          started = () => resolve(performance.now())
        })
        const t0 = performance.now()
        await rigs[i]!.add(n)
        samples[LIBRARIES[i]!].push((await start) - t0)
        await sleep(IDLE_MS)
      }
    }
  } finally {
    await Promise.all(rigs.map((r) => r.close()))
  }
  return samples
}

/**
 * A case per library over shared passes: the first library's case runs a pass (every library's
 * jobs, interleaved) and each case reports its own p50 from it.
 */
function libraryCase(
  library: Library,
  server: ServerHandle,
  latencies: Record<string, number[]>,
  passes: { current: Promise<Record<Library, number[]>> | null; count: number },
): BenchCase {
  return {
    name: library,
    async run() {
      if (library === LIBRARIES[0]) {
        passes.current = interleavedPass(server.url, passes.count)
        passes.count++
      }
      const samples = (await passes.current!)[library]
      // The harness's first run of each case is its warm-up.
      if (passes.count > 1) latencies[library] = [...(latencies[library] ?? []), ...samples]
      const sorted = [...samples].sort((a, b) => a - b)
      return { opsPerSecond: 1000 / sorted[Math.floor(sorted.length / 2)]! }
    },
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN
}

/** The suite with the server's persistence set to `aof`: off, or AOF with fsync every second. */
function latencySuiteWith(aof: boolean): Suite {
  const persistence = aof ? 'AOF appendfsync everysec' : 'no persistence'
  return {
    name: aof ? 'queue-latency-aof' : 'queue-latency',
    description: `Add → handler start on an idle queue, ${persistence}: ${JOBS} single jobs per library per repetition, ${IDLE_MS} ms idle after each, the three libraries taking turns job by job (every order in turn); producer and worker (concurrency 1) on their own connections in one process. Figure: 1000 / p50 ms.`,
    baseline: 'bee-queue',
    unit: '1000 / p50 ms',
    targets: [{ case: 'redis-expert', minRatio: 1 }],
    async setup(server) {
      const admin = new Redis(server.url)
      await admin.config('SET', 'appendonly', aof ? 'yes' : 'no')
      if (aof) await admin.config('SET', 'appendfsync', 'everysec')
      const latencies: Record<string, number[]> = {}
      const passes = { current: null, count: 0 }
      return {
        cases: LIBRARIES.map((library) => libraryCase(library, server, latencies, passes)),
        async teardown() {
          admin.disconnect()
          const lines = Object.entries(latencies).map(
            ([library, values]) =>
              `| ${library} | ${percentile(values, 50).toFixed(3)} | ${percentile(values, 90).toFixed(3)} | ${percentile(values, 99).toFixed(3)} | ${values.length} |`,
          )
          console.log(
            `Add → start latency, ms, ${persistence} (every repetition's jobs pooled, warm-up excluded):\n\n| library | p50 | p90 | p99 | jobs |\n|---|---:|---:|---:|---:|\n${lines.join('\n')}\n`,
          )
        },
      }
    },
  }
}

export const latencySuite = latencySuiteWith(false)
export const latencyAofSuite = latencySuiteWith(true)
