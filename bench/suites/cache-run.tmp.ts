import { cpus, totalmem } from 'node:os'
import { startRedis } from '../../src/testing/index.js'
import { measure, renderTable } from '../harness.js'
import { cacheSuites } from './cache.js'

const repetitions = Number(process.argv[2] ?? 5)
const only = process.argv[3]
const server = await startRedis()
console.log(`${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model} · ${Math.round(totalmem() / 2 ** 30)} GiB · ${repetitions} repetitions`)
try {
  for (const suite of cacheSuites.filter((s) => !only || s.name.includes(only))) {
    const run = await suite.setup(server)
    try {
      console.log(`${renderTable(suite, await measure(run, repetitions))}\n`)
    } finally {
      await run.teardown()
    }
  }
} finally {
  await server.stop()
}
