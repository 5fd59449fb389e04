import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { createClient } from 'redis'
import { audit } from '../../src/audit/index.js'
import { connect } from '../../src/index.js'
import { findExecutable } from '../../src/testing/index.js'
import type { BenchCase, Suite } from '../harness.js'

/**
 * The audit against `redis-cli --memkeys` on the same 1M keys, and what another client feels
 * meanwhile: a separate process sends one PING at a time and records each round trip, so the
 * audit's own CPU use in this process does not colour the latency it reports.
 */

const KEYS = Number(process.env.AUDIT_BENCH_KEYS ?? 1_000_000)
const PREFIX = 'bench-audit'
/** The --rate case: commands per second, over the first RATE_SAMPLE keys. */
const RATE = 50_000
const RATE_SAMPLE = 100_000

const execFileAsync = promisify(execFile)

/** A mix like a real application's: small counters, sessions, profiles, leaderboards. */
function fillCommands(from: number, to: number): string[][] {
  const commands: string[][] = []
  for (let i = from; i < to; i++) {
    const kind = i % 20
    if (kind < 10) commands.push(['SET', `${PREFIX}:visits:${i}`, String(i % 997)])
    else if (kind < 16)
      commands.push([
        'SET',
        `${PREFIX}:session:${randomUUID()}`,
        JSON.stringify({ user: i, pad: 'x'.repeat(120) }),
        'EX',
        '3600',
      ])
    else if (kind < 19)
      commands.push([
        'HSET',
        `${PREFIX}:user:${i}:profile`,
        'name',
        `user ${i}`,
        'plan',
        'pro',
        'country',
        'NL',
        'seen',
        String(i),
      ])
    else commands.push(['ZADD', `${PREFIX}:board:${i}`, '1', 'a', '2', 'b', '3', 'c'])
  }
  return commands
}

/**
 * The latency probe, run as its own process: a PING every millisecond (an application's steady
 * trickle, not a load of its own on a 2-core machine), each round trip recorded; percentiles
 * printed when stdin closes.
 */
const PROBE = `
import { connect } from 'node:net'
const socket = connect(Number(process.argv[1]), '127.0.0.1')
const samples = []
let sent = 0n
let running = true
const ping = () => { sent = process.hrtime.bigint(); socket.write('PING\\r\\n') }
socket.on('connect', ping)
socket.on('data', () => {
  samples.push(Number(process.hrtime.bigint() - sent) / 1000)
  if (running) setTimeout(ping, 1)
})
process.stdin.on('end', () => {
  running = false
  samples.sort((a, b) => a - b)
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0
  process.stdout.write(JSON.stringify({ n: samples.length, p50: at(0.5), p99: at(0.99), max: samples.at(-1) ?? 0 }))
  socket.destroy()
})
process.stdin.resume()
`

interface Latency {
  readonly n: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

function startProbe(port: number): { stop(): Promise<Latency> } {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', PROBE, String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return {
    async stop() {
      child.stdin?.end()
      await exited
      return JSON.parse(out) as Latency
    },
  }
}

function cpuText(runs: readonly number[] | undefined): string {
  if (!runs || runs.length === 0) return '–'
  const sorted = [...runs].sort((a, b) => a - b)
  const mid = sorted[sorted.length >> 1] as number
  return `${mid.toFixed(2)} (${(sorted[0] as number).toFixed(2)}–${(sorted.at(-1) as number).toFixed(2)})`
}

const fmtUs = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${Math.round(us)} µs`)

export const auditSuite: Suite = {
  name: `audit: ${KEYS / 1e6}M keys`,
  description:
    `Keys per second over ${KEYS.toLocaleString('en-US')} keys (counters, sessions, profiles, sorted sets). ` +
    '`redis-cli --memkeys` sends TYPE and MEMORY USAGE per key; the audit also reads PTTL, OBJECT ENCODING and the ' +
    'size of every key, infers patterns and runs its rules; by default with pipelined commands on a connection of its ' +
    'own, or with one EVALSHA_RO per 100 keys on it (script: true), or through the client. Latency: a separate process PINGs ' +
    'every millisecond during each case; p50 / p99 / max below the table.',
  baseline: 'redis-cli --memkeys',
  unit: 'keys/s',
  targets: [{ case: 'redis-expert audit', minRatio: 1 }],
  async setup(server) {
    const raw = createClient({ url: server.url, RESP: 2, commandOptions: { timeout: 0 } })
    raw.on('error', (e: Error) => console.error(`bench: ${e.message}`))
    await raw.connect()
    const existing = Number(await raw.sendCommand(['DBSIZE']))
    for (let from = 0; from < KEYS; from += 10_000) {
      const multi = raw.multi()
      for (const command of fillCommands(from, Math.min(KEYS, from + 10_000))) multi.addCommand(command)
      await multi.execAsPipeline()
    }
    const total = Number(await raw.sendCommand(['DBSIZE']))
    const db = await connect({ url: server.url })
    const cli = findExecutable('redis-cli')
    const latencies = new Map<string, Latency[]>()
    /** The server's own CPU (user + system) per key inspected, per repetition. */
    const serverCpu = new Map<string, number[]>()
    const cpuOfServer = async () => {
      const info = String(await raw.sendCommand(['INFO', 'cpu']))
      const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN)
      return field('used_cpu_user') + field('used_cpu_sys')
    }
    const measured = (
      name: string,
      work: () => Promise<{ keys: number; result: number | { opsPerSecond: number } }>,
    ): BenchCase => ({
      name,
      async run() {
        const probe = startProbe(server.port)
        const before = await cpuOfServer()
        try {
          const { keys, result } = await work()
          serverCpu.set(name, [
            ...(serverCpu.get(name) ?? []),
            (((await cpuOfServer()) - before) / keys) * 1e6,
          ])
          return result
        } finally {
          const latency = await probe.stop()
          latencies.set(name, [...(latencies.get(name) ?? []), latency])
        }
      },
    })
    const idle = startProbe(server.port)
    await new Promise((r) => setTimeout(r, 2000))
    latencies.set('(idle server)', [await idle.stop()])

    const cases: BenchCase[] = [
      measured('redis-cli --memkeys', async () => {
        const started = process.hrtime.bigint()
        await execFileAsync(cli, ['-p', String(server.port), '--memkeys'], { maxBuffer: 64 * 1024 * 1024 })
        const seconds = Number(process.hrtime.bigint() - started) / 1e9
        return { keys: total, result: { opsPerSecond: total / seconds } }
      }),
      measured('redis-expert audit', async () => {
        const keys = (await audit(db)).scanned.keys
        return { keys, result: keys }
      }),
      measured('redis-expert audit --script (one EVALSHA_RO per 100 keys)', async () => {
        const keys = (await audit(db, { script: true })).scanned.keys
        return { keys, result: keys }
      }),
      measured('redis-expert audit via the client (per-command path)', async () => {
        const keys = (await audit(db, { transport: 'client' })).scanned.keys
        return { keys, result: keys }
      }),
      measured(`redis-expert audit --rate ${RATE} (first ${RATE_SAMPLE / 1000}k keys)`, async () => {
        const keys = (await audit(db, { rate: RATE, sample: RATE_SAMPLE })).scanned.keys
        return { keys, result: keys }
      }),
    ]
    return {
      cases,
      async teardown() {
        const lines = [
          '',
          `Latency another client sees (a PING every millisecond from another process; ${existing ? `${existing} keys were already on the server, ` : ''}${total.toLocaleString('en-US')} keys in all):`,
          '',
          '| during | p50 | p99 | max | samples | server CPU µs/key |',
          '|---|---:|---:|---:|---:|---:|',
        ]
        for (const [name, runs] of latencies) {
          const worst = (pick: (l: Latency) => number) => Math.max(...runs.map(pick))
          const median = (pick: (l: Latency) => number) => {
            const sorted = runs.map(pick).sort((a, b) => a - b)
            return sorted[sorted.length >> 1] as number
          }
          lines.push(
            `| ${name} | ${fmtUs(median((l) => l.p50))} | ${fmtUs(median((l) => l.p99))} | ${fmtUs(worst((l) => l.max))} | ${runs.reduce((s, l) => s + l.n, 0)} | ${cpuText(serverCpu.get(name))} |`,
          )
        }
        lines.push(
          '',
          'p50 and p99: median over repetitions; max: the worst of any repetition. Server CPU: ' +
            "redis-server's used_cpu_user + used_cpu_sys per key, median (min–max) over repetitions.",
        )
        console.log(lines.join('\n'))
        await db.close()
        // Remove only what the suite wrote: REDIS_URL may point at a server with other data.
        let cursor = '0'
        do {
          const [next, keys] = (await raw.sendCommand([
            'SCAN',
            cursor,
            'MATCH',
            `${PREFIX}:*`,
            'COUNT',
            '10000',
          ])) as [string, string[]]
          cursor = next
          if (keys.length > 0) await raw.sendCommand(['UNLINK', ...keys])
        } while (cursor !== '0')
        await raw.close()
      },
    }
  },
}
