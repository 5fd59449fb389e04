/**
 * A tour of redis-expert/queue and redis-expert/messaging: a job queue with a retry, a delay and
 * an idempotent add, then a stream with a consumer group and a dead letter. Part of `npm start`.
 */
import type { RedisExpertClient } from 'redis-expert'
import { createStreamProducer, createStreamWorker, readDeadLetters } from 'redis-expert/messaging'
import { Queue, Worker } from 'redis-expert/queue'

const until = async (what: string, done: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`tour: ${what} did not happen within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** `run` prefixes every name: each `npm start` writes keys of its own and removes them at the end. */
export async function messagingTour(db: RedisExpertClient, run: string): Promise<void> {
  console.log('## A job queue: at-least-once, retries with backoff, delays, idempotent adds')
  const emails = new Queue<{ to: string }>(db, `${run}-emails`)
  const first = await emails.add('welcome', { to: 'ann@example.com' }, { jobId: 'welcome-ann' })
  const again = await emails.add('welcome', { to: 'ann@example.com' }, { jobId: 'welcome-ann' })
  console.log(`  add jobId welcome-ann twice → added ${first.added}, then ${again.added}: one job`)
  await emails.add('digest', { to: 'bob@example.com' }, { delayMs: 300 })
  await emails.add(
    'flaky',
    { to: 'eve@example.com' },
    { attempts: 3, backoff: { type: 'fixed', delayMs: 50 } },
  )

  const log: string[] = []
  const worker = new Worker<{ to: string }, string>(
    db,
    emails.name,
    (job) => {
      if (job.name === 'flaky' && job.attempt < 2) throw new Error('SMTP timeout')
      log.push(`${job.name} → ${job.data.to} (attempt ${job.attempt})`)
      return 'sent'
    },
    { concurrency: 4, pollMs: 50 },
  )
  worker.start()
  await until('three jobs', async () => (await emails.counts()).completed === 3)
  await worker.close()
  for (const line of log) console.log(`  ran ${line}`)
  console.log(`  counts: ${JSON.stringify(await emails.counts())}`)

  console.log('\n## A stream with a consumer group: acknowledged after the handler, poison dead-lettered')
  const orders = createStreamProducer<{ order: number }>(db, `${run}-orders`, { trim: { maxLen: 10_000 } })
  await orders.addMany([{ order: 1 }, { order: 2 }, { order: 13 }, { order: 4 }])
  const handled: number[] = []
  const consumer = createStreamWorker<{ order: number }>(
    db,
    `${run}-orders`,
    ({ order }) => {
      if (order === 13) throw new Error('unlucky order')
      handled.push(order)
    },
    { group: 'billing', concurrency: 2, maxDeliveries: 2, retryDelayMs: 50, blockMs: 100, onError: () => {} },
  )
  await consumer.start()
  await until('the poison entry dead-lettered', () => consumer.stats().deadLettered === 1)
  await consumer.close()
  console.log(`  handled orders ${handled.sort((a, b) => a - b).join(', ')}`)
  for (const dead of await readDeadLetters<{ order: number }>(db, `${run}-orders`))
    console.log(
      `  dead letter: order ${dead.message?.order} after ${dead.deliveries} deliveries (${dead.error})`,
    )
}
