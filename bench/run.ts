/**
 * npm run bench [-- suite-filter] [--repetitions N]
 *
 * Runs the suites against one ephemeral redis-server (or REDIS_URL) and prints a Markdown
 * table per suite: ops/s (median, min, max over interleaved repetitions) and the ratio to
 * the suite's baseline measured in the same run.
 */
import { cpus, totalmem } from 'node:os'
import { startRedis } from '../src/testing/index.js'
import { measure, renderTable, type Suite } from './harness.js'
import { auditSuite } from './suites/audit.js'
import { cacheSuites } from './suites/cache.js'
import { concurrentSuite, pipelinedSuite } from './suites/client.js'
import { clusterSuite } from './suites/cluster.js'
import { guardSuite } from './suites/guard.js'
import { keyvSuite } from './suites/keyv.js'
import { latencyAofSuite, latencySuite } from './suites/latency.js'
import { queueSuite } from './suites/queue.js'
import { streamSuite } from './suites/streams.js'
import { structureSuites } from './suites/structures.js'

const SUITES: readonly Suite[] = [
  pipelinedSuite,
  concurrentSuite,
  clusterSuite,
  guardSuite,
  ...cacheSuites,
  keyvSuite,
  ...structureSuites,
  streamSuite,
  queueSuite,
  latencySuite,
  latencyAofSuite,
  auditSuite,
]

function argValue(flag: string): string | undefined {
  const at = process.argv.indexOf(flag)
  return at >= 0 ? process.argv[at + 1] : undefined
}

const repetitions = Number(argValue('--repetitions') ?? 5)
const filter = process.argv
  .slice(2)
  .find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--repetitions')
const chosen = SUITES.filter((s) => !filter || s.name.toLowerCase().includes(filter.toLowerCase()))

// Our own run name for the launcher's directories, so that no test run mistakes this server for one of its own.
process.env.REDIS_EXPERT_RUN ??= `bench-${process.pid}`
const external = process.env.REDIS_URL
const server = external ? null : await startRedis()
const target = external
  ? { url: external, port: Number(new URL(external).port || 6379) }
  : (server as NonNullable<typeof server>)

console.log(
  `# redis-expert benchmarks\n\n${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${Math.round(totalmem() / 2 ** 30)} GiB · ${repetitions} repetitions, interleaved\n`,
)
try {
  for (const suite of chosen) {
    const run = await suite.setup(target)
    try {
      console.log(`${renderTable(suite, await measure(run, repetitions))}\n`)
    } finally {
      await run.teardown()
    }
  }
} finally {
  await server?.stop()
}
