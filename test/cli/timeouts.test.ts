import { execFile } from 'node:child_process'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

/**
 * `redis-expert probe` and `redis-expert audit` never hang: against a server that accepts the
 * TCP connection and never answers they fail within --connect-timeout (plus a margin), with a
 * clear message and a non-zero exit, `--fail-on` included; and whatever fails, the --url's
 * password is never printed.
 */

const root = new URL('../../', import.meta.url).pathname

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** `redis-expert ...args` from the sources, in a child process; killed (code null) after `killMs`. */
function cli(args: readonly string[], killMs = 20_000): Promise<Run> {
  const started = performance.now()
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: root, timeout: killMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, stdout, stderr, ms: performance.now() - started })
      },
    )
  })
}

const CONNECT_TIMEOUT = 1000
/** Process start, module loading and exit on a busy 2-core machine, beyond the startup measured. */
const MARGIN = 2000

/** How long the CLI takes to start and exit with nothing to connect to (measured once). */
let startup = 0

/** A TCP server that accepts every connection and never writes a byte. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Checks a run failed as a bounded connect must: in time, non-zero, saying why. */
function expectConnectTimeout(run: Run, exitCode: number): void {
  expect(run.code, run.stderr).toBe(exitCode)
  expect(run.stderr).toMatch(
    /CONNECTION_FAILED: could not connect to .*no answer within connectTimeoutMs \(\d+ ms\)/,
  )
  expect(run.stdout).toBe('')
  // It did wait for the server (startup varies too much to subtract here).
  expect(run.ms).toBeGreaterThanOrEqual(CONNECT_TIMEOUT)
  expect(run.ms - startup).toBeLessThan(CONNECT_TIMEOUT + MARGIN)
}

beforeAll(async () => {
  const run = await cli(['--version'])
  expect(run.code).toBe(0)
  startup = run.ms
}, 60_000)

describe('against a server that accepts and never answers', { timeout: 60_000 }, () => {
  let silent: Awaited<ReturnType<typeof silentServer>>
  beforeAll(async () => {
    silent = await silentServer()
  })
  afterAll(async () => {
    await silent?.close()
  })

  it('probe fails within --connect-timeout, exit 1', async () => {
    const url = `redis://127.0.0.1:${silent.port}`
    expectConnectTimeout(await cli(['probe', '--url', url, '--connect-timeout', '1000']), 1)
  })

  it('audit --fail-on fails within --connect-timeout, exit 2, the password never shown', async () => {
    const url = `redis://:pa%2Fss%40word@127.0.0.1:${silent.port}`
    const run = await cli(['audit', '--url', url, '--connect-timeout', '1000', '--fail-on', 'high'])
    expectConnectTimeout(run, 2)
    expect(run.stderr).toContain(':***@')
    expect(run.stderr).not.toMatch(/pa%2Fss|pa\/ss|ss%40word|ss@word/)
  })
})

describe('against a SIGSTOPped redis-server', { timeout: 60_000 }, () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedis({ requirepass: 'st/op@ped' })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('probe and audit --fail-on both fail within --connect-timeout', async () => {
    const url = `redis://:st%2Fop%40ped@${server.host}:${server.port}`
    process.kill(server.pid, 'SIGSTOP')
    try {
      const probe = await cli(['probe', '--url', url, '--connect-timeout', '1000'])
      expectConnectTimeout(probe, 1)
      const audit = await cli(['audit', '--url', url, '--connect-timeout', '1000', '--fail-on', 'medium'])
      expectConnectTimeout(audit, 2)
      for (const run of [probe, audit]) expect(run.stderr).not.toMatch(/st%2Fop|st\/op|op%40ped|op@ped/)
    } finally {
      process.kill(server.pid, 'SIGCONT')
    }
  })
})

describe("the audit's own connection to a master that accepts and never answers", { timeout: 60_000 }, () => {
  let server: RedisServer
  let proxy: Server
  const sockets = new Set<Socket>()
  let connections = 0

  beforeAll(async () => {
    server = await startRedis({ requirepass: 'proxied' })
    const db = await connect({ url: `redis://:proxied@${server.host}:${server.port}`, guard: 'off' })
    try {
      await db.batch(Array.from({ length: 50 }, (_, i) => ['SET', `page:${i}:views`, String(i), 'EX', '600']))
    } finally {
      await db.close()
    }
    // The client's connection reaches the server; every later one (the audit's own) is accepted
    // and left silent — a server that stops answering between the two.
    proxy = createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
      if (++connections > 1) return
      const upstream = netConnect({ host: server.host, port: server.port })
      upstream.on('error', () => socket.destroy())
      socket.on('close', () => upstream.destroy())
      socket.pipe(upstream).pipe(socket)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => proxy?.close(() => resolve()))
    await server?.stop()
  })

  // Before, its AUTH after the TCP connect was not timed: the audit hung for good.
  it('gives up on it within --connect-timeout and scans through the client', async () => {
    const { port } = proxy.address() as { port: number }
    const run = await cli([
      'audit',
      '--url',
      `redis://:proxied@127.0.0.1:${port}`,
      '--connect-timeout',
      '1000',
      '--format',
      'json',
      '--fail-on',
      'high',
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(connections).toBe(2)
    const report = JSON.parse(run.stdout) as { scanned: { keys: number } }
    expect(report.scanned.keys).toBe(50)
    expect(run.ms - startup).toBeLessThan(CONNECT_TIMEOUT + MARGIN + 2000)
  })
})

describe('a --url password is never printed', { timeout: 60_000 }, () => {
  // Port 1: nothing listens, so each run fails fast, through a different path.
  const cases: readonly (readonly [url: string, secrets: readonly string[]])[] = [
    ['redis://u:pa/ss@127.0.0.1:1', ['pa/ss', 'pa%2Fss']],
    ['redis://u:p@ss@127.0.0.1:1', ['p@ss', 'p%40ss']],
    ['redis://u:pa%2Fss@127.0.0.1:1', ['pa/ss', 'pa%2Fss']],
    ['redis://u:pa%zzss@127.0.0.1:1', ['pa%zzss']],
    ['redis://u:1/x@127.0.0.1:1', ['1/x']],
  ]

  for (const command of ['probe', 'audit'] as const)
    it(`${command}: a password with /, @, %2F or a malformed % — the error names the URL with ***`, async () => {
      const runs = await Promise.all(
        cases.map(([url]) => cli([command, '--url', url, '--connect-timeout', '1000'])),
      )
      runs.forEach((run, i) => {
        const [url, secrets] = cases[i] as (typeof cases)[number]
        expect(run.code, url).toBe(command === 'probe' ? 1 : 2)
        expect(run.stderr, url).toMatch(/(INVALID_ARGUMENT|CONNECTION_FAILED): /)
        expect(run.stderr, url).toContain('u:***@')
        for (const secret of secrets) expect(run.stderr, url).not.toContain(secret)
      })
    })
})
