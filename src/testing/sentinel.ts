import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { optionNames, strictOptions } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import { redisServerPath, type ServerKind, serverKind } from './binary.js'
import { fieldsOf, type SetupReply, sendCommand, until } from './command.js'
import { freePort } from './ports.js'
import { type GuardedProcess, ProcessSlot, removeNow, removeOnExit, spawnGuarded } from './process.js'
import {
  dirPrefix,
  lastLogLines,
  type RedisServer,
  type StartRedisOptions,
  startRedis,
  waitUntilAnswering,
} from './server.js'

/** The Sentinel setup to start: replicas, Sentinels, master name, quorum, timeouts, server kind. */
export interface StartSentinelOptions {
  /** Replicas of the master, default 2. */
  readonly replicas?: number
  /** Sentinel processes, default 3. */
  readonly sentinels?: number
  /** The name the sentinels monitor the master under, default `mymaster`. */
  readonly masterName?: string
  /** Extra redis.conf directives for the data nodes (master and replicas). */
  readonly config?: StartRedisOptions['config']
  /** Sentinels that must agree the master is down before a failover, default 2. */
  readonly quorum?: number
  /** `down-after-milliseconds`, default 1000 so that failover tests are quick. */
  readonly downAfterMs?: number
  /** `failover-timeout`, default 5000. */
  readonly failoverTimeoutMs?: number
  /** Bound on the whole setup (servers up, replicas linked, sentinels in agreement), default 30 s. */
  readonly readyTimeoutMs?: number
  /** `redis` or `valkey`; default from REDIS_EXPERT_SERVER, else redis. */
  readonly server?: ServerKind
}

/** Where a Sentinel listens. */
export interface SentinelAddress {
  readonly host: string
  readonly port: number
}

/** One launched Sentinel process. */
export interface SentinelNode extends SentinelAddress {
  readonly pid: number
  /** The sentinel's working directory: its sentinel.conf (which it rewrites) and log. */
  readonly dir: string
  /** Graceful shutdown (SIGTERM), then the directory is removed. */
  stop(): Promise<void>
  /** SIGKILL, as a crash would (the directory is removed by stop() or at exit). */
  kill(): Promise<void>
  /** The tail of the sentinel's log, for diagnostics. */
  log(): string
}

/** A running master, its replicas and Sentinels started by `startSentinel`, with failover controls. */
export interface RedisSentinelSetup {
  readonly masterName: string
  /** The initial master; after a failover it is (or becomes) a replica. */
  readonly master: RedisServer
  /** The initial replicas. */
  readonly replicas: readonly RedisServer[]
  readonly sentinels: readonly SentinelNode[]
  /** The sentinels' addresses, to pass to a client's sentinel option. */
  readonly sentinelAddresses: readonly SentinelAddress[]
  /** Stops the sentinels first (so that they do not fail over), then every data node. */
  stop(): Promise<void>
  /**
   * `SENTINEL FAILOVER` through a sentinel; resolves once every running sentinel reports
   * the same new master address and none has a failover in progress (the other replicas
   * are reconfigured). The old master is turned into a replica by the sentinels a moment
   * later (about 2 s: they wait to see it still claiming to be a master).
   */
  failover(options?: { readonly timeoutMs?: number }): Promise<void>
  /** The master's address as the first answering sentinel reports it (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
  currentMaster(): Promise<SentinelAddress>
}

const HOST = '127.0.0.1'
const COMMAND_TIMEOUT_MS = 3000

/**
 * Starts a master, its replicas and a set of Sentinels monitoring it: every data node a
 * redis-server (or valkey-server) process, every sentinel the same binary with
 * `--sentinel`. Resolves once every sentinel sees the master, all the replicas and all
 * the other sentinels.
 */
const SENTINEL_OPTIONS = optionNames<StartSentinelOptions>({
  replicas: true,
  sentinels: true,
  masterName: true,
  config: true,
  quorum: true,
  downAfterMs: true,
  failoverTimeoutMs: true,
  readyTimeoutMs: true,
  server: true,
})

/** Starts a master, replicas and Sentinels that all see each other, for failover tests. */
export async function startSentinel(options: StartSentinelOptions = {}): Promise<RedisSentinelSetup> {
  strictOptions('startSentinel options', options, SENTINEL_OPTIONS)
  const replicaCount = options.replicas ?? 2
  const sentinelCount = options.sentinels ?? 3
  const masterName = options.masterName ?? 'mymaster'
  const quorum = options.quorum ?? 2
  if (!Number.isInteger(replicaCount) || replicaCount < 0)
    throw new RedisExpertError('INVALID_ARGUMENT', 'replicas must be an integer ≥ 0')
  if (!Number.isInteger(sentinelCount) || sentinelCount < 1)
    throw new RedisExpertError('INVALID_ARGUMENT', 'sentinels must be an integer ≥ 1')
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > sentinelCount)
    throw new RedisExpertError(
      'INVALID_ARGUMENT',
      `quorum must be an integer from 1 to sentinels (${sentinelCount})`,
    )
  if (!/^[A-Za-z0-9._-]+$/.test(masterName))
    throw new RedisExpertError(
      'INVALID_ARGUMENT',
      'masterName may hold only letters, digits, ".", "_" and "-"',
    )

  const kind = serverKind(options.server)
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000
  const deadline = Date.now() + readyTimeoutMs
  const config = {
    // Replicas sync at once instead of waiting for more replicas to share a diskless transfer.
    'repl-diskless-sync-delay': 0,
    ...options.config,
  }

  const startedServers: RedisServer[] = []
  const startedSentinels: SentinelNode[] = []
  const stopAll = async () => {
    // Sentinels first: a master stopping under their eyes would start a failover.
    await Promise.all(startedSentinels.map((s) => s.stop()))
    await Promise.all(startedServers.map((s) => s.stop()))
  }
  try {
    const master = await startRedis({ config, readyTimeoutMs, server: kind })
    startedServers.push(master)
    const replicas = await startEach(replicaCount, startedServers, () =>
      startRedis({
        config: { ...config, replicaof: `${HOST} ${master.port}` },
        readyTimeoutMs,
        server: kind,
      }),
    )
    await until(deadline, 'every replica to be linked to the master', async () => {
      const infos = await Promise.all(replicas.map((r) => send(r, ['INFO', 'replication']).catch(() => '')))
      return infos.every((info) => String(info).includes('master_link_status:up'))
    })

    const sentinelConfig = (port: number, dir: string) =>
      [
        `port ${port}`,
        `bind ${HOST}`,
        `dir ${dir}`,
        `logfile ${join(dir, 'sentinel.log')}`,
        'daemonize no',
        'sentinel resolve-hostnames no',
        `sentinel monitor ${masterName} ${HOST} ${master.port} ${quorum}`,
        `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 5000}`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n')
    const sentinels = await startEach(sentinelCount, startedSentinels, () =>
      launchSentinel(kind, sentinelConfig, readyTimeoutMs),
    )
    await Promise.all(sentinels.map((s) => quickenTimers(s)))

    await until(
      deadline,
      'every sentinel to see the master, its replicas and the other sentinels',
      async () => {
        const views = await Promise.all(
          sentinels.map(async (s) => {
            const [masterFields, replicaList] = await Promise.all([
              send(s, ['SENTINEL', 'MASTER', masterName]).then(fieldsOf, () => new Map<string, string>()),
              send(s, ['SENTINEL', 'REPLICAS', masterName]).catch(() => null),
            ])
            const linked = Array.isArray(replicaList)
              ? replicaList.map(fieldsOf).filter((r) => r.get('flags') === 'slave').length
              : 0
            return (
              masterFields.get('flags') === 'master' &&
              masterFields.get('port') === String(master.port) &&
              Number(masterFields.get('num-other-sentinels')) === sentinelCount - 1 &&
              linked === replicaCount
            )
          }),
        )
        return views.every(Boolean)
      },
    )

    const setup: RedisSentinelSetup = {
      masterName,
      master,
      replicas,
      sentinels,
      sentinelAddresses: sentinels.map(({ host, port }) => ({ host, port })),
      stop: stopAll,
      currentMaster: () => currentMaster(sentinels, masterName),
      async failover(failoverOptions = {}) {
        const failoverDeadline = Date.now() + (failoverOptions.timeoutMs ?? 30_000)
        const before = await currentMaster(sentinels, masterName)
        // -NOGOODSLAVE while the sentinels' view of the replicas is not fresh enough: ask again.
        let refusal: unknown = null
        await until(failoverDeadline, 'a sentinel to accept SENTINEL FAILOVER', async () => {
          for (const s of sentinels.filter((node) => node.pid !== 0)) {
            try {
              await send(s, ['SENTINEL', 'FAILOVER', masterName])
              return true
            } catch (error) {
              refusal = error
            }
          }
          return false
        }).catch((error: unknown) => {
          throw new RedisExpertError(
            'LAUNCHER_FAILED',
            `${String(error)}; last refusal: ${String(refusal)}`,
            {
              cause: refusal,
            },
          )
        })
        await until(
          failoverDeadline,
          'every sentinel to report the new master, the failover over',
          async () => {
            const running = sentinels.filter((node) => node.pid !== 0)
            const views = await Promise.all(
              running.map((s) =>
                send(s, ['SENTINEL', 'MASTER', masterName]).then(fieldsOf, () => new Map<string, string>()),
              ),
            )
            const [first] = views
            const host = first?.get('ip')
            const port = first?.get('port')
            return (
              host !== undefined &&
              port !== undefined &&
              (host !== before.host || Number(port) !== before.port) &&
              views.every(
                (v) => v.get('ip') === host && v.get('port') === port && v.get('flags') === 'master',
              )
            )
          },
        )
      },
    }
    return setup
  } catch (error) {
    await stopAll().catch(() => {})
    throw new RedisExpertError('LAUNCHER_FAILED', `the sentinel setup did not start: ${String(error)}`, {
      cause: error,
    })
  }
}

/** Starts `count` at once; every one that starts lands in `started` (to be stopped), even when another fails. */
async function startEach<T>(count: number, started: T[], start: () => Promise<T>): Promise<T[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, start))
  for (const result of results) if (result.status === 'fulfilled') started.push(result.value)
  const values: T[] = []
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason
    values.push(result.value)
  }
  return values
}

function send(node: SentinelAddress, args: readonly (string | number)[]): Promise<SetupReply> {
  return sendCommand(node.host, node.port, args, { timeoutMs: COMMAND_TIMEOUT_MS })
}

async function masterAddress(sentinel: SentinelAddress, masterName: string): Promise<SentinelAddress> {
  const reply = await send(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName])
  if (!Array.isArray(reply) || reply.length < 2) throw new Error(`no master named ${masterName}`)
  return { host: String(reply[0]), port: Number(reply[1]) }
}

async function currentMaster(
  sentinels: readonly SentinelNode[],
  masterName: string,
): Promise<SentinelAddress> {
  let lastError: unknown = new Error('no sentinel is running')
  for (const sentinel of sentinels) {
    if (sentinel.pid === 0) continue
    try {
      return await masterAddress(sentinel, masterName)
    } catch (error) {
      lastError = error
    }
  }
  throw new RedisExpertError('LAUNCHER_FAILED', `no sentinel reported the master: ${String(lastError)}`, {
    cause: lastError,
  })
}

/**
 * Sentinel's periods are built for production: INFO every 10 s, hello messages every 2 s,
 * and an old master is only turned into a replica after 4 hello periods. `SENTINEL DEBUG`
 * (Redis 7.0+, Valkey) shortens them, so discovery and a failover's aftermath take a
 * couple of seconds; on older servers the defaults stay.
 */
async function quickenTimers(sentinel: SentinelNode): Promise<void> {
  await send(sentinel, ['SENTINEL', 'DEBUG', 'info-period', 1000, 'publish-period', 500]).catch(() => {})
}

async function launchSentinel(
  kind: ServerKind,
  renderConfig: (port: number, dir: string) => string,
  readyTimeoutMs: number,
): Promise<SentinelNode> {
  const executable = redisServerPath(kind)
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    // Named after the run like the data nodes' directories, so the run's leak check sees sentinels too.
    const dir = mkdtempSync(join(tmpdir(), `${dirPrefix()}sentinel-${port}-`))
    removeOnExit(dir)
    const conf = join(dir, 'sentinel.conf')
    writeFileSync(conf, renderConfig(port, dir))
    let child: GuardedProcess | null = null
    try {
      child = await spawnGuarded(executable, [conf, '--sentinel'], dir)
      await waitUntilAnswering(port, child, readyTimeoutMs)
      return sentinelHandle(port, dir, child)
    } catch (error) {
      if (child) {
        child.release()
        await child.exited
      }
      const log = lastLogLines(dir, 5, 'sentinel.log')
      removeNow(dir)
      if (attempt < 5 && /in use/i.test(log)) continue
      throw new RedisExpertError(
        'LAUNCHER_FAILED',
        `${basename(executable)} --sentinel on port ${port} did not start: ${log}`,
        { cause: error, details: { port, dir } },
      )
    }
  }
}

function sentinelHandle(port: number, dir: string, child: GuardedProcess): SentinelNode {
  const slot = new ProcessSlot(child)
  return {
    host: HOST,
    port,
    dir,
    get pid() {
      return slot.pid
    },
    async stop() {
      await slot.halt('SIGTERM')
      removeNow(dir)
    },
    kill: () => slot.halt('SIGKILL'),
    log: () => lastLogLines(dir, 40, 'sentinel.log'),
  }
}
