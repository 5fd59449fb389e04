import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { optionNames, strictOptions } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import { redisServerPath, type ServerKind, serverKind } from './binary.js'
import { freePort } from './ports.js'
import { type GuardedProcess, ProcessSlot, removeNow, removeOnExit, spawnGuarded } from './process.js'

/** A configuration value: one directive's arguments; an array repeats the directive (e.g. `save`). */
export type ConfigValue = string | number | readonly string[]

/** An ACL user the launched server creates at start. */
export interface AclUser {
  readonly name: string
  readonly password?: string
  /** ACL rules, default `['~*', '&*', '+@all']`. */
  readonly rules?: readonly string[]
}

/** How to start a throwaway server: redis.conf directives, passwords and ACL users, server kind. */
export interface StartRedisOptions {
  /** redis.conf directives, e.g. `{ appendonly: 'yes', appendfsync: 'always', maxmemory: '64mb' }`. */
  readonly config?: Readonly<Record<string, ConfigValue>>
  /** Password of the `default` user. */
  readonly requirepass?: string
  readonly users?: readonly AclUser[]
  /** A fixed port; by default a free one is chosen. */
  readonly port?: number
  /** How long to wait for the server to answer, default 15 s (an AOF replay may take a while). */
  readonly readyTimeoutMs?: number
  /** `redis` (redis-server) or `valkey` (valkey-server); default from REDIS_EXPERT_SERVER, else redis. */
  readonly server?: ServerKind
}

/**
 * A running throwaway redis-server (or valkey-server) started by `startRedis`: its URL, and stop, kill
 * (SIGKILL) and restart on the same port and directory.
 */
export interface RedisServer {
  readonly url: string
  readonly host: string
  readonly port: number
  /** The server's working directory: its redis.conf, log, RDB and AOF files. */
  readonly dir: string
  readonly pid: number
  /** Which server runs: `redis` or `valkey`. */
  readonly kind: ServerKind
  /** Graceful shutdown (SIGTERM: the AOF is flushed), then the directory is removed. */
  stop(): Promise<void>
  /** SIGKILL, as a crash would. The directory is kept so that `restart()` replays its data. */
  kill(): Promise<void>
  /** Starts the server again on the same port and directory (after `kill()`, or gracefully stopping it first). */
  restart(): Promise<void>
  /** The tail of the server's log, for diagnostics. */
  log(): string
}

const HOST = '127.0.0.1'

/**
 * Temporary directories are named after the test run (REDIS_EXPERT_RUN, set by the test
 * suite's global setup), so that a run can find exactly the servers it started.
 */
export function dirPrefix(run = process.env.REDIS_EXPERT_RUN): string {
  return `redis-expert-${run ? `${run}-` : ''}`
}

/** Spawns a redis-server on a free loopback port in a fresh temporary directory. */
const START_OPTIONS = optionNames<StartRedisOptions>({
  config: true,
  requirepass: true,
  users: true,
  port: true,
  readyTimeoutMs: true,
  server: true,
})

/**
 * Starts a redis-server on a free port in its own directory; it dies with the process that started it,
 * even one killed with SIGKILL.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  strictOptions('startRedis options', options, START_OPTIONS)
  const kind = serverKind(options.server)
  const executable = redisServerPath(kind)
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort(isClusterNode(options)))
    const dir = mkdtempSync(join(tmpdir(), `${dirPrefix()}${port}-`))
    removeOnExit(dir)
    writeFileSync(join(dir, 'redis.conf'), renderConfig(port, dir, options))
    try {
      const process = await launch(executable, dir, port, options.readyTimeoutMs ?? 15_000)
      return serverHandle(kind, executable, dir, port, process, options.readyTimeoutMs ?? 15_000)
    } catch (error) {
      removeNow(dir)
      // Another test file may have taken the port between our probe and the bind.
      if (options.port === undefined && attempt < 5 && /in use/i.test(String(error))) continue
      throw error
    }
  }
}

function isClusterNode(options: StartRedisOptions): boolean {
  return String(options.config?.['cluster-enabled'] ?? 'no') === 'yes'
}

export function renderConfig(port: number, dir: string, options: StartRedisOptions): string {
  const directives: [string, ConfigValue][] = [
    ['port', port],
    ['bind', HOST],
    ['dir', dir],
    ['logfile', join(dir, 'redis.log')],
    ['daemonize', 'no'],
    ['save', ''],
    ['appendonly', 'no'],
  ]
  for (const [name, value] of Object.entries(options.config ?? {})) {
    const at = directives.findIndex(([existing]) => existing === name)
    if (at >= 0) directives.splice(at, 1)
    directives.push([name, value])
  }
  const lines = directives.flatMap(([name, value]) =>
    Array.isArray(value) ? value.map((v) => `${name} ${quote(v)}`) : [`${name} ${quote(String(value))}`],
  )
  if (options.requirepass !== undefined) lines.push(`requirepass ${quote(options.requirepass)}`)
  for (const user of options.users ?? []) {
    const rules = user.rules ?? ['~*', '&*', '+@all']
    const secret = user.password === undefined ? 'nopass' : `>${user.password}`
    lines.push(`user ${user.name} on ${secret} ${rules.join(' ')}`)
  }
  return `${lines.join('\n')}\n`
}

/** redis.conf accepts double-quoted strings with backslash escapes; an empty value must be `""`. */
function quote(value: string): string {
  return /^[^\s"'\\]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`
}

async function launch(executable: string, dir: string, port: number, readyTimeoutMs: number) {
  const child = await spawnGuarded(executable, [join(dir, 'redis.conf')], dir)
  try {
    await waitUntilAnswering(port, child, readyTimeoutMs)
    return child
  } catch (error) {
    child.release()
    await child.exited
    throw new RedisExpertError(
      'LAUNCHER_FAILED',
      `${basename(executable)} on port ${port} did not start: ${lastLogLines(dir)}`,
      {
        cause: error,
        details: { port, dir },
      },
    )
  }
}

function serverHandle(
  kind: ServerKind,
  executable: string,
  dir: string,
  port: number,
  first: GuardedProcess,
  readyTimeoutMs: number,
): RedisServer {
  const slot = new ProcessSlot(first)
  return {
    url: `redis://${HOST}:${port}`,
    host: HOST,
    port,
    dir,
    kind,
    get pid() {
      return slot.pid
    },
    async stop() {
      await slot.halt('SIGTERM')
      removeNow(dir)
    },
    kill: () => slot.halt('SIGKILL'),
    async restart() {
      await slot.halt('SIGTERM')
      slot.replace(await launch(executable, dir, port, readyTimeoutMs))
    },
    log: () => lastLogLines(dir, 40),
  }
}

/**
 * Polls with an inline PING until the server answers. `-NOAUTH` counts as answering;
 * `-LOADING` (AOF/RDB replay in progress) does not.
 */
export async function waitUntilAnswering(
  port: number,
  child: GuardedProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!child.running()) throw new Error(`the server exited (${await child.exited})`)
    const answer = await ping(port)
    if (answer.startsWith('+PONG') || answer.startsWith('-NOAUTH') || answer.startsWith('-WRONGPASS')) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`no answer within ${timeoutMs} ms`)
}

function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: HOST, port })
    let data = ''
    const done = (answer: string) => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(1000, () => done(''))
    socket.on('error', () => done(''))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8')
      if (data.includes('\r\n')) done(data)
    })
  })
}

export function lastLogLines(dir: string, count = 5, logFile = 'redis.log'): string {
  const lines = ['stderr.log', logFile].flatMap((file) => {
    try {
      return readFileSync(join(dir, file), 'utf8').trim().split('\n').filter(Boolean)
    } catch {
      return []
    }
  })
  return lines.length ? lines.slice(-count).join('\n') : '(no log)'
}
