import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SetupReply, sendCommand, until } from '../../src/testing/command.js'
import { type RedisSentinelSetup, startSentinel } from '../../src/testing/index.js'

const ask = (node: { host: string; port: number }, ...args: string[]): Promise<SetupReply> =>
  sendCommand(node.host, node.port, args, { timeoutMs: 3000 })

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('startSentinel', () => {
  let setup: RedisSentinelSetup | undefined
  const get = (): RedisSentinelSetup => {
    if (!setup) throw new Error('the sentinel setup did not start')
    return setup
  }

  beforeAll(async () => {
    setup = await startSentinel({ readyTimeoutMs: 40_000 })
  }, 60_000)
  afterAll(async () => {
    await setup?.stop()
  })

  it('every sentinel knows the master, both replicas and the two other sentinels', async () => {
    const { master, replicas, sentinels, sentinelAddresses, masterName } = get()
    expect(sentinels).toHaveLength(3)
    expect(sentinelAddresses).toEqual(sentinels.map((s) => ({ host: s.host, port: s.port })))
    expect(await get().currentMaster()).toEqual({ host: '127.0.0.1', port: master.port })
    for (const sentinel of sentinels) {
      expect(await ask(sentinel, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)).toEqual([
        '127.0.0.1',
        String(master.port),
      ])
      expect(await ask(sentinel, 'SENTINEL', 'REPLICAS', masterName)).toHaveLength(2)
      expect(await ask(sentinel, 'SENTINEL', 'SENTINELS', masterName)).toHaveLength(2)
    }
    expect(((await ask(master, 'ROLE')) as SetupReply[])[0]).toBe('master')
    for (const replica of replicas) {
      expect(((await ask(replica, 'ROLE')) as SetupReply[]).slice(0, 3)).toEqual([
        'slave',
        '127.0.0.1',
        master.port,
      ])
    }
  })

  it('failover() promotes a replica, and the old master becomes its replica', async () => {
    const { master, replicas } = get()
    await get().failover({ timeoutMs: 30_000 })
    const promoted = await get().currentMaster()
    expect(promoted.port).not.toBe(master.port)
    expect(replicas.map((r) => r.port)).toContain(promoted.port)
    expect(((await ask(promoted, 'ROLE')) as SetupReply[])[0]).toBe('master')

    // The sentinels turn the old master into a replica of the new one once they see it still claiming to be a master.
    // Reconfiguring it, a Sentinel also sends it CLIENT KILL TYPE normal (sentinel.c, sentinelSendSlaveOf),
    // so that clients reconnect and notice: a ROLE asked at that moment loses its connection, or
    // has it reset while it opens (CONNECTION_FAILED: read ECONNRESET) — not yet.
    let role: SetupReply[] = []
    await until(Date.now() + 30_000, 'the old master to become a replica of the new one', async () => {
      try {
        role = (await ask(master, 'ROLE')) as SetupReply[]
      } catch (error) {
        const code = (error as { code?: string }).code
        if (code === 'CONNECTION_LOST' || code === 'CONNECTION_FAILED') return false
        throw error
      }
      return role[0] === 'slave' && role[2] === promoted.port
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; its ROLE: ${JSON.stringify(role)}`)
    })
  }, 70_000)

  it('stop() ends every process and removes every directory', async () => {
    const { master, replicas, sentinels } = get()
    const pids = [master, ...replicas, ...sentinels].map((n) => n.pid)
    const dirs = [master, ...replicas, ...sentinels].map((n) => n.dir)
    expect(pids.every(alive)).toBe(true)
    await get().stop()
    expect(pids.filter(alive)).toEqual([])
    expect(dirs.filter((d) => existsSync(d))).toEqual([])
  })

  it('starts a lone master under one sentinel (replicas: 0, sentinels: 1, quorum: 1)', async () => {
    const lone = await startSentinel({ replicas: 0, sentinels: 1, quorum: 1, masterName: 'solo' })
    try {
      expect(lone.replicas).toEqual([])
      expect(await lone.currentMaster()).toEqual({ host: '127.0.0.1', port: lone.master.port })
    } finally {
      await lone.stop()
    }
  })

  it('refuses a quorum larger than the number of sentinels, before starting anything', async () => {
    await expect(startSentinel({ sentinels: 1, quorum: 2 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})
