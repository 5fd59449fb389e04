import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Celery, type TaskInfo } from 'redis-expert/celery'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import type { PythonProcess } from '../support/python.js'
import { sleep, startPythonWorker, waitFor } from './helpers.js'

/*
 * A TypeScript worker process SIGKILLed while it holds a message: the message sits in kombu's
 * `unacked` hash, and once the visibility timeout passes it is restored to its queue and run by
 * another worker — a TypeScript one (its restorer), or a Python one (kombu's restore_visible,
 * which reads the unacked entry the TAKE script wrote).
 */
let server: RedisServer
let db: RedisExpertClient
let celery: Celery
const children: ChildProcess[] = []
let python: PythonProcess | undefined

beforeAll(async () => {
  server = await startRedis()
  db = await connect({ url: server.url })
  celery = new Celery(db, { visibilityTimeout: 1000 })
}, 60_000)

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await python?.stop()
  await celery?.close()
  await db?.close()
  await server?.stop()
})

/** Starts fixtures/hanging-worker.ts; resolves once it has started the task `taskId`. */
async function holdAndKill(queue: string, task: string, taskId: string): Promise<void> {
  const file = fileURLToPath(new URL('./fixtures/hanging-worker.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', file, server.url, queue, task], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  await waitFor(`the child to start ${taskId}`, () => output.includes(`started ${taskId}`), 20_000)
  expect(await db.call(['HEXISTS', 'unacked', await tagOf(taskId)])).toBe(1)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** The delivery tag of the task's message in `unacked` (HSCAN: the hash is small here). */
async function tagOf(taskId: string): Promise<string> {
  for await (const [field, value] of db.hscan('unacked')) if (value?.includes(taskId)) return field as string
  throw new Error(`${taskId} is not in unacked`)
}

it('SIGKILLed TS worker: after the visibility timeout a TS worker restores the message and runs it', async () => {
  const result = await celery.sendTask<string>('ts.hang', ['x'], {}, { queue: 'ts-jobs' })
  await holdAndKill('ts-jobs', 'ts.hang', result.id)
  let seen: TaskInfo | undefined
  const worker = celery.worker({
    queues: ['ts-jobs'],
    pollMs: 100,
    restoreEveryMs: 200,
    tasks: {
      'ts.hang': (_args, _kwargs, info) => {
        seen = info
        return 'recovered'
      },
    },
  })
  const started = Date.now()
  await worker.start()
  try {
    expect(await result.get({ timeout: 10_000 })).toBe('recovered')
    expect(seen?.redelivered).toBe(true)
    expect(worker.stats().restored).toBe(1)
    // Not before the visibility timeout (1 s) counted from when the dead worker took it.
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(await db.call(['HLEN', 'unacked'])).toBe(0)
  } finally {
    await worker.close()
  }
})

it('SIGKILLed TS worker: a Python worker restores the message (kombu restore_visible) and runs it', async () => {
  const result = await celery.sendTask<number>('py.add', [1, 2], {}, { queue: 'py-jobs' })
  await holdAndKill('py-jobs', 'py.add', result.id)
  await sleep(1200) // past the visibility timeout: kombu restores at the worker's first poll
  python = await startPythonWorker(server.url, ['py-jobs'], { VISIBILITY_TIMEOUT: '1' })
  expect(await result.get({ timeout: 20_000 })).toBe(3)
  // kombu acks right after the result is stored, from its own event loop.
  await waitFor('the Python worker to ack', async () => (await db.call(['HLEN', 'unacked'])) === 0)
})
