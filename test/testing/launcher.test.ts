import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { connect } from '../../src/index.js'
import { sendCommand } from '../../src/testing/command.js'
import { redisServerPath, serverKind, startCluster, startRedis } from '../../src/testing/index.js'
import { renderConfig } from '../../src/testing/server.js'
import { launchedServers } from '../global-setup.js'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 25))
  }
  return true
}

const hasValkey = (() => {
  try {
    redisServerPath('valkey')
    return true
  } catch {
    return false
  }
})()

async function withEnv<T>(name: string, value: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  const previous = process.env[name]
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
  try {
    return await fn()
  } finally {
    if (previous === undefined) delete process.env[name]
    else process.env[name] = previous
  }
}

describe('server kind', () => {
  it('is the explicit choice, else REDIS_EXPERT_SERVER, else redis; anything else is refused', async () => {
    await withEnv('REDIS_EXPERT_SERVER', undefined, () => expect(serverKind()).toBe('redis'))
    await withEnv('REDIS_EXPERT_SERVER', 'valkey', () => {
      expect(serverKind()).toBe('valkey')
      expect(serverKind('redis')).toBe('redis')
    })
    await withEnv('REDIS_EXPERT_SERVER', 'keydb', () =>
      expect(() => serverKind()).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' })),
    )
  })

  it('names the missing valkey-server and how to install it', async () => {
    await withEnv('VALKEY_SERVER_BIN', '/nonexistent/valkey-server', () =>
      expect(startRedis({ server: 'valkey' })).rejects.toMatchObject({
        code: 'REDIS_SERVER_NOT_FOUND',
        message: expect.stringContaining('bookworm-backports valkey-server'),
      }),
    )
  })

  // CI installs Valkey (.ci/run); a machine without valkey-server skips this one.
  it.skipIf(!hasValkey)('starts valkey-server with server: valkey', async () => {
    const server = await startRedis({ server: 'valkey' })
    try {
      expect(server.kind).toBe('valkey')
      const info = String(
        await sendCommand(server.host, server.port, ['INFO', 'server'], { timeoutMs: 3000 }),
      )
      expect(info).toMatch(/^server_name:valkey\r?$/m)
      expect(info).toMatch(/^valkey_version:\d+\./m)
    } finally {
      await server.stop()
    }
  })
})

describe('startRedis', () => {
  it('applies the configuration, and an AOF write survives kill() + restart()', async () => {
    const server = await startRedis({
      config: { appendonly: 'yes', appendfsync: 'always', maxmemory: '64mb' },
    })
    const db = await connect({ url: server.url, offlineWaitMs: 3000, guard: 'off' })
    try {
      const probe = await db.probe()
      expect(probe.persistence).toMatchObject({ aof: true, appendfsync: 'always' })
      expect(probe.maxmemory).toBe(64 * 1024 * 1024)
      await db.call(['SET', 'survivor', 'still here'])
      const firstPid = server.pid
      await server.kill()
      expect(alive(firstPid)).toBe(false)
      await server.restart()
      expect(server.pid).not.toBe(firstPid)
      expect(await db.call(['GET', 'survivor'])).toBe('still here')
    } finally {
      await db.close()
      await server.stop()
    }
    expect(existsSync(server.dir)).toBe(false)
  })

  it('without AOF, kill() loses the data: the test above is not vacuous', async () => {
    const server = await startRedis()
    const db = await connect({ url: server.url, offlineWaitMs: 3000, guard: 'off' })
    try {
      await db.call(['SET', 'ephemeral', '1'])
      await server.kill()
      await server.restart()
      expect(await db.call(['GET', 'ephemeral'])).toBeNull()
    } finally {
      await db.close()
      await server.stop()
    }
  })

  it('stop() shuts down gracefully and frees the port', async () => {
    const server = await startRedis()
    const pid = server.pid
    await server.stop()
    expect(alive(pid)).toBe(false)
    await expect(connect({ url: server.url, connectRetries: 0 })).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
    })
  })

  it('stop() and restart() outlast a SIGTERM refused while the server writes its first AOF', async () => {
    const server = await startRedis({ config: { 'enable-debug-command': 'local' } })
    const db = await connect({ url: server.url, offlineWaitMs: 5000, guard: 'off' })
    const bounded = <T>(work: Promise<T>) =>
      Promise.race([
        work,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('hung')), 15_000).unref()),
      ])
    try {
      // Enough data that the first AOF takes a while to write: Redis refuses to shut down meanwhile.
      await db.call(['DEBUG', 'POPULATE', 300_000])
      await db.call(['CONFIG', 'SET', 'appendonly', 'yes'])
      await bounded(server.restart())
      expect(readFileSync(join(server.dir, 'redis.log'), 'utf8')).toContain("Writing initial AOF, can't exit")
      expect(await db.call(['PING'])).toBe('PONG')
      await db.call(['CONFIG', 'SET', 'appendonly', 'yes'])
      const pid = server.pid
      await bounded(server.stop())
      expect(alive(pid)).toBe(false)
    } finally {
      await db.close()
      await server.stop()
    }
  })

  it('writes ACL users and requirepass into the config', () => {
    const text = renderConfig(7000, '/tmp/x', {
      requirepass: 'pa ss',
      users: [{ name: 'reader', password: 'r', rules: ['~app:*', '+@read'] }],
      config: { save: ['900 1', '300 10'] },
    })
    expect(text).toContain('requirepass "pa ss"')
    expect(text).toContain('user reader on >r ~app:* +@read')
    expect(text).toContain('save "900 1"\nsave "300 10"')
    expect(text).not.toContain('save ""')
  })

  it('names the missing binary and how to install it', async () => {
    const previous = process.env.REDIS_SERVER_BIN
    process.env.REDIS_SERVER_BIN = '/nonexistent/redis-server'
    try {
      await expect(startRedis()).rejects.toMatchObject({
        code: 'REDIS_SERVER_NOT_FOUND',
        message: expect.stringContaining('apt-get install -y redis-server'),
      })
    } finally {
      if (previous === undefined) delete process.env.REDIS_SERVER_BIN
      else process.env.REDIS_SERVER_BIN = previous
    }
  })

  it('reports a server that cannot start, with its log', async () => {
    await expect(startRedis({ config: { 'no-such-directive': 'yes' } })).rejects.toMatchObject({
      code: 'LAUNCHER_FAILED',
      message: expect.stringContaining('no-such-directive'),
    })
  })

  it('no server outlives a process that is SIGKILLed while it runs one', async () => {
    const script = join(import.meta.dirname, 'fixtures', 'hold-server.ts')
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /pid=(\d+)/.exec(chunk.toString())
        if (match) resolve(Number(match[1]))
      })
      child.on('exit', () => reject(new Error('fixture exited early')))
    })
    expect(alive(pid)).toBe(true)
    child.kill('SIGKILL')
    expect(await waitUntil(() => !alive(pid), 5000)).toBe(true)
  })

  it('no server outlives a process that exits without stopping it', async () => {
    const script = join(import.meta.dirname, 'fixtures', 'hold-server.ts')
    const child = spawn(process.execPath, ['--import', 'tsx', script, 'exit'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let pid = 0
    child.stdout.on('data', (chunk: Buffer) => {
      pid = Number(/pid=(\d+)/.exec(chunk.toString())?.[1] ?? pid)
    })
    await new Promise((resolve) => child.on('exit', resolve))
    expect(pid).toBeGreaterThan(0)
    expect(await waitUntil(() => !alive(pid), 5000)).toBe(true)
    expect(launchedServers()).not.toContain(pid)
  })

  it('keeps the log readable for diagnostics', async () => {
    const server = await startRedis()
    try {
      expect(server.log()).toMatch(/Ready to accept connections/)
      expect(readFileSync(join(server.dir, 'redis.conf'), 'utf8')).toContain(`port ${server.port}`)
    } finally {
      await server.stop()
    }
  })
})

describe('startCluster', () => {
  it('returns once every node lists every replica in CLUSTER SLOTS, which clients route replica reads by', async () => {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 })
    try {
      for (const node of cluster.nodes) {
        const slots = (await sendCommand(node.server.host, node.server.port, [
          'CLUSTER',
          'SLOTS',
        ])) as unknown[][]
        // [from, to, master, replica]: a range whose replica is missing has 3 items.
        expect(slots.map((range) => range.length)).toEqual([4, 4, 4])
      }
    } finally {
      await cluster.stop()
    }
  }, 60_000)
})
