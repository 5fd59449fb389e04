import { describe, expect, it } from 'vitest'
import { buildNodeProbe } from '../../src/client/probe.js'
import { connect } from '../../src/index.js'
import { redisServerPath, startRedis } from '../../src/testing/index.js'

// INFO server as each prints it (abridged), CRLF line ends as on the wire.
const REDIS_INFO = [
  '# Server',
  'redis_version:7.0.15',
  'redis_git_sha1:00000000',
  'redis_mode:standalone',
  'os:Linux 6.1.0 x86_64',
  '',
  '# Persistence',
  'aof_enabled:0',
].join('\r\n')

const VALKEY_INFO = [
  '# Server',
  'redis_version:7.2.4',
  'server_name:valkey',
  'valkey_version:8.0.1',
  'redis_git_sha1:00000000',
  'server_mode:standalone',
  'os:Linux 6.1.0 x86_64',
  '',
  '# Persistence',
  'aof_enabled:0',
].join('\r\n')

describe('probe: which server, which version', () => {
  it('Redis: server redis, version from redis_version', () => {
    const probe = buildNodeProbe('h:1', { info: REDIS_INFO, config: null })
    expect(probe).toMatchObject({ server: 'redis', version: '7.0.15' })
  })

  it('Valkey: server valkey, version from valkey_version, not its frozen redis_version 7.2.4', () => {
    const probe = buildNodeProbe('h:1', { info: VALKEY_INFO, config: null })
    expect(probe).toMatchObject({ server: 'valkey', version: '8.0.1' })
  })

  it('Valkey is recognised by either field alone', () => {
    const nameOnly = VALKEY_INFO.replace('valkey_version:8.0.1\r\n', '')
    expect(buildNodeProbe('h:1', { info: nameOnly, config: null })).toMatchObject({
      server: 'valkey',
      version: '7.2.4',
    })
    const versionOnly = VALKEY_INFO.replace('server_name:valkey\r\n', '')
    expect(buildNodeProbe('h:1', { info: versionOnly, config: null })).toMatchObject({
      server: 'valkey',
      version: '8.0.1',
    })
  })

  it('an INFO without any version field says unknown, as Redis', () => {
    expect(buildNodeProbe('h:1', { info: '# Server\r\n', config: null })).toMatchObject({
      server: 'redis',
      version: 'unknown',
    })
  })
})

const hasValkey = (() => {
  try {
    redisServerPath('valkey')
    return true
  } catch {
    return false
  }
})()

describe('probe() against the real servers', () => {
  // CI installs Valkey (.ci/run); a machine without valkey-server skips this one.
  it.skipIf(!hasValkey)('a valkey-server reports server valkey and its own version', async () => {
    const server = await startRedis({ server: 'valkey' })
    try {
      const db = await connect({ url: server.url, guard: 'off' })
      try {
        const probe = await db.probe()
        expect(probe.server).toBe('valkey')
        expect(probe.version).toMatch(/^\d+\.\d+\.\d+/)
        expect(probe.version.startsWith('7.2.4')).toBe(false)
        expect(probe.masters[0]?.server).toBe('valkey')
      } finally {
        await db.close()
      }
    } finally {
      await server.stop()
    }
  })

  it('a redis-server reports server redis', async () => {
    const server = await startRedis({ server: 'redis' })
    try {
      const db = await connect({ url: server.url, guard: 'off' })
      try {
        expect(await db.probe()).toMatchObject({ server: 'redis', version: expect.stringMatching(/^\d+\./) })
      } finally {
        await db.close()
      }
    } finally {
      await server.stop()
    }
  })
})
