import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { redisServerPath } from '../src/testing/binary.js'
import { dirPrefix } from '../src/testing/server.js'

/** Server processes (redis-server, valkey-server, sentinels too) started by this test run: their working directory carries the run's name. */
export function launchedServers(): number[] {
  const prefix = `${tmpdir()}/${dirPrefix()}`
  let pids: number[] = []
  try {
    pids = execFileSync('pgrep', ['-x', 'redis-server|valkey-server'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number)
  } catch {
    return []
  }
  return pids.filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(prefix)
    } catch {
      return false
    }
  })
}

export function setup(): void {
  // Fail the whole run at once, with the install hint, when there is no server to test against.
  redisServerPath()
  // Test files run in worker processes, which inherit this.
  process.env.REDIS_EXPERT_RUN = randomBytes(4).toString('hex')
}

export function teardown(): void {
  const leaked = launchedServers()
  if (leaked.length > 0) {
    for (const pid of leaked) process.kill(pid, 'SIGKILL')
    throw new Error(`server processes outlived their tests: ${leaked.join(', ')}`)
  }
}
