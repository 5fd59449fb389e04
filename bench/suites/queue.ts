/**
 * End-to-end job queue throughput: 20k jobs with a trivial handler, worker concurrency 50, AOF
 * `appendfsync everysec`, producer and worker in separate processes — redis-expert against BullMQ
 * and bee-queue in the same run. Also Redis commands per job for each (INFO commandstats deltas,
 * so commands run inside scripts count), printed after the table.
 *
 * This file is also the child process: `node --import tsx bench/suites/queue.ts --queue-child
 * <library> <producer|worker> <url> <queue> <jobs>`. A child connects, prints `ready`, waits for
 * `go` on stdin, and the worker prints `done` once every job has completed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import type { BenchCase, ServerHandle, Suite } from '../harness.js'

const JOBS = 20_000
const CONCURRENCY = 50
/** Jobs per bulk add (addBulk / saveAll): the same for every library. */
const CHUNK = 500
const LIBRARIES = ['redis-expert', 'bullmq', 'bee-queue'] as const
type Library = (typeof LIBRARIES)[number]

const SELF = fileURLToPath(import.meta.url)

interface Child {
  readonly process: ChildProcess
  readonly line: (text: string) => Promise<void>
  /** The CPU µs the child reported (`cpu <µs>`, printed with `done` / `added`), or NaN. */
  readonly cpu: () => number
}

function child(library: Library, role: 'producer' | 'worker', url: string, queue: string): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', SELF, '--queue-child', library, role, url, queue, String(JOBS)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  let out = ''
  const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = []
  proc.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    for (const w of [...waiters])
      if (out.includes(`${w.text}\n`)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
  })
  proc.once('exit', (code) => {
    for (const w of waiters.splice(0))
      w.reject(new Error(`${library} ${role} exited (${code}) before '${w.text}'`))
  })
  return {
    process: proc,
    cpu: () => Number(/^cpu (\d+)$/m.exec(out)?.[1] ?? Number.NaN),
    line: (text) =>
      out.includes(`${text}\n`)
        ? Promise.resolve()
        : new Promise((resolve, reject) => waiters.push({ text, resolve, reject })),
  }
}

/** The server's CPU seconds so far (user + sys, main thread and the rest). */
async function serverCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const read = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0)
  return read('used_cpu_user') + read('used_cpu_sys')
}

async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats')
  const calls = new Map<string, number>()
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]))
  return calls
}

function totalBetween(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {}
  for (const [name, n] of after) {
    if (name === 'info') continue
    const d = n - (before.get(name) ?? 0)
    if (d > 0) delta[name] = d
  }
  return delta
}

const perJob: Record<string, Record<string, number>> = {}
/** CPU µs per job of each repetition: redis-server, the producer process, the worker process. */
const cpuPerJob: Record<string, { server: number; producer: number; worker: number }[]> = {}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

function libraryCase(library: Library, server: ServerHandle, admin: Redis): BenchCase {
  let runs = 0
  return {
    name: library,
    async run() {
      const queue = `bench-${library.replace('-', '')}-${process.pid}-${runs++}`
      const worker = child(library, 'worker', server.url, queue)
      const producer = child(library, 'producer', server.url, queue)
      try {
        await Promise.all([worker.line('ready'), producer.line('ready')])
        const before = await commandCalls(admin)
        const cpuBefore = await serverCpu(admin)
        const started = process.hrtime.bigint()
        worker.process.stdin?.write('go\n')
        producer.process.stdin?.write('go\n')
        await worker.line('done')
        const seconds = Number(process.hrtime.bigint() - started) / 1e9
        const delta = totalBetween(before, await commandCalls(admin))
        const serverUs = ((await serverCpu(admin)) - cpuBefore) * 1e6
        const total = Object.values(delta).reduce((a, b) => a + b, 0)
        perJob[library] = {
          total: total / JOBS,
          ...Object.fromEntries(Object.entries(delta).map(([k, v]) => [k, v / JOBS])),
        }
        await producer.line('added')
        cpuPerJob[library] = cpuPerJob[library] ?? []
        cpuPerJob[library].push({
          server: serverUs / JOBS,
          producer: producer.cpu() / JOBS,
          worker: worker.cpu() / JOBS,
        })
        return { opsPerSecond: JOBS / seconds }
      } finally {
        worker.process.kill('SIGKILL')
        producer.process.kill('SIGKILL')
      }
    },
  }
}

export const queueSuite: Suite = {
  name: 'queue',
  description: `End-to-end jobs/s: ${JOBS} jobs, trivial handler, concurrency ${CONCURRENCY}, AOF everysec, producer (bulk adds of ${CHUNK}) and worker in separate processes.`,
  baseline: 'bee-queue',
  unit: 'jobs/s',
  targets: [{ case: 'redis-expert', minRatio: 1 }],
  async setup(server) {
    const admin = new Redis(server.url, { lazyConnect: false })
    await admin.config('SET', 'appendonly', 'yes')
    await admin.config('SET', 'appendfsync', 'everysec')
    return {
      cases: LIBRARIES.map((library) => libraryCase(library, server, admin)),
      async teardown() {
        const lines = Object.entries(perJob).map(([library, calls]) => {
          const top = Object.entries(calls)
            .filter(([name]) => name !== 'total')
            .sort((a, b) => b[1] - a[1])
            .slice(0, 8)
            .map(([name, n]) => `${name} ${n.toFixed(2)}`)
            .join(', ')
          return `| ${library} | ${calls.total?.toFixed(1)} | ${top} |`
        })
        console.log(
          `Redis commands per job (last repetition; inside scripts included):\n\n| library | commands/job | largest |\n|---|---:|---|\n${lines.join('\n')}\n`,
        )
        const cpuLines = Object.entries(cpuPerJob).map(([library, runs]) => {
          const cell = (pick: (r: (typeof runs)[number]) => number) => median(runs.map(pick)).toFixed(1)
          return `| ${library} | ${cell((r) => r.server)} | ${cell((r) => r.producer)} | ${cell((r) => r.worker)} | ${cell((r) => r.server + r.producer + r.worker)} |`
        })
        console.log(
          `CPU µs per job (median of the repetitions; process CPU, so time descheduled on a busy machine does not count):\n\n| library | redis-server | producer | worker | total |\n|---|---:|---:|---:|---:|\n${cpuLines.join('\n')}\n`,
        )
        admin.disconnect()
      },
    }
  },
}

// ---- child processes ------------------------------------------------------------------------

async function waitForGoLine(): Promise<void> {
  await new Promise<void>((resolve) => {
    let input = ''
    process.stdin.on('data', (chunk: Buffer) => {
      input += chunk.toString()
      if (input.includes('go\n')) resolve()
    })
  })
}

interface BeeJob {
  readonly data: unknown
}
interface BeeQueue {
  createJob(data: unknown): { save(): Promise<unknown> }
  saveAll(jobs: unknown[]): Promise<Map<unknown, Error>>
  process(concurrency: number, handler: (job: BeeJob) => Promise<unknown>): void
  on(event: 'succeeded', listener: () => void): void
  ready(): Promise<unknown>
}
type BeeConstructor = new (name: string, settings: Record<string, unknown>) => BeeQueue

async function runChild(library: Library, role: string, url: string, queue: string, jobs: number) {
  const say = (text: string) => {
    if (text === 'done' || text === 'added') {
      const cpu = process.cpuUsage(cpuStart)
      process.stdout.write(`cpu ${cpu.user + cpu.system}\n`)
    }
    process.stdout.write(`${text}\n`)
  }
  let cpuStart = process.cpuUsage()
  const waitForGo = async () => {
    await waitForGoLine()
    cpuStart = process.cpuUsage()
  }
  const chunks = Array.from({ length: Math.ceil(jobs / CHUNK) }, (_, c) =>
    Array.from({ length: Math.min(CHUNK, jobs - c * CHUNK) }, (_, i) => ({ n: c * CHUNK + i })),
  )
  if (library === 'redis-expert') {
    const { connect } = await import('../../src/connect.js')
    const { Queue, Worker } = await import('../../src/queue/index.js')
    const db = await connect({ url })
    if (role === 'producer') {
      const q = new Queue(db, queue)
      say('ready')
      await waitForGo()
      for (const chunk of chunks) await q.addBulk(chunk.map((data) => ({ name: 'job', data })))
      say('added')
    } else {
      let completed = 0
      const w = new Worker(
        db,
        queue,
        () => {
          completed++
          return null
        },
        { concurrency: CONCURRENCY, autorun: false },
      )
      say('ready')
      await waitForGo()
      w.start()
      while (w.stats().completed < jobs) await new Promise((resolve) => setTimeout(resolve, 2))
      if (completed < jobs) throw new Error('lost jobs')
      say('done')
    }
  } else if (library === 'bullmq') {
    const { Queue, Worker } = await import('bullmq')
    const connection = { url, maxRetriesPerRequest: null }
    if (role === 'producer') {
      const q = new Queue(queue, { connection })
      await q.waitUntilReady()
      say('ready')
      await waitForGo()
      for (const chunk of chunks) await q.addBulk(chunk.map((data) => ({ name: 'job', data })))
      say('added')
    } else {
      let completed = 0
      const w = new Worker(queue, async () => null, { connection, concurrency: CONCURRENCY, autorun: false })
      w.on('completed', () => {
        if (++completed === jobs) say('done')
      })
      await w.waitUntilReady()
      say('ready')
      await waitForGo()
      void w.run()
    }
  } else {
    const Bee = createRequire(import.meta.url)('bee-queue') as BeeConstructor
    const settings = { redis: { url }, isWorker: role === 'worker', getEvents: false, sendEvents: false }
    const q = new Bee(queue, settings)
    await q.ready()
    if (role === 'producer') {
      say('ready')
      await waitForGo()
      for (const chunk of chunks) await q.saveAll(chunk.map((data) => q.createJob(data)))
      say('added')
    } else {
      let completed = 0
      q.on('succeeded', () => {
        if (++completed === jobs) say('done')
      })
      say('ready')
      await waitForGo()
      q.process(CONCURRENCY, async () => null)
    }
  }
}

if (process.argv[1] === SELF && process.argv[2] === '--queue-child') {
  const [library, role, url, queue, jobs] = process.argv.slice(3) as [Library, string, string, string, string]
  await runChild(library, role, url, queue, Number(jobs))
}
