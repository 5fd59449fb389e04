import { afterAll, beforeAll, onTestFinished } from 'vitest'
import type { ConnectOptions } from '../../src/client/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { type Queue, Worker } from '../../src/queue/index.js'
import { type RedisCluster, type RedisServer, startCluster, startRedis } from '../../src/testing/index.js'
import { spawnFixture } from '../messaging/helpers.js'

/**
 * A standalone server (with `config`) and a 3-master Cluster for one test file, started before its
 * tests and stopped after them, with every client the file opened through `client`.
 */
export function queueServers(config: Record<string, string> = {}) {
  const targets: Record<string, ConnectOptions> = {}
  const clients: RedisExpertClient[] = []
  let server: RedisServer | undefined
  let cluster: RedisCluster | undefined
  beforeAll(async () => {
    ;[server, cluster] = await Promise.all([
      startRedis({ config }),
      startCluster({ masters: 3, replicasPerMaster: 0 }),
    ])
    targets.standalone = { url: server.url }
    targets.cluster = { cluster: { rootNodes: cluster.rootNodes } }
  }, 60_000)
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await Promise.all([server?.stop(), cluster?.stop()])
  })
  return {
    targets,
    /** The standalone server (its port for a proxy in front of it; kill and restart it). */
    server: () => server as RedisServer,
    /** A client of the `standalone` or `cluster` target (with `extra` options), or of explicit options. */
    async client(
      target: string | ConnectOptions,
      extra: Partial<ConnectOptions> = {},
    ): Promise<RedisExpertClient> {
      const db = await connect(typeof target === 'string' ? { ...targets[target]!, ...extra } : target)
      clients.push(db)
      return db
    },
  }
}

/** Spawns a worker fixture (test/queue/fixtures); resolves its output so far on demand; killed when the test ends. */
export function queueFixture(fixture: string, args: readonly string[]) {
  const proc = spawnFixture(`../../queue/fixtures/${fixture}`, args)
  let out = ''
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  proc.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  onTestFinished(async () => {
    proc.kill('SIGKILL')
    await exited
  })
  return { proc, out: () => out, exited }
}

/** A worker that runs the queue's jobs (again: data × 2), recording each run's attempt and stalls. */
export function rerun(db: RedisExpertClient, q: Queue<number>) {
  const runs: { attempt: number; stalls: number }[] = []
  const worker = new Worker<number, number>(
    db,
    q.name,
    (job) => {
      runs.push({ attempt: job.attempt, stalls: job.stalls })
      return job.data * 2
    },
    { pollMs: 50 },
  )
  onTestFinished(() => worker.close())
  return { runs, worker }
}
