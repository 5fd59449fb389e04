import { execFileSync } from 'node:child_process'
import { readlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { redisServerPath } from '../src/testing/binary.js'

/** redis-server processes whose working directory is one of the launcher's temporary directories. */
export function launchedServers(): number[] {
  let pids: number[] = []
  try {
    pids = execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).trim().split('\n').map(Number)
  } catch {
    return []
  }
  return pids.filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(`${tmpdir()}/redis-expert-`)
    } catch {
      return false
    }
  })
}

export function setup(): void {
  // Fail the whole run at once, with the install hint, when there is no server to test against.
  redisServerPath()
}

export function teardown(): void {
  const leaked = launchedServers()
  if (leaked.length > 0) {
    for (const pid of leaked) process.kill(pid, 'SIGKILL')
    throw new Error(`redis-server processes outlived their tests: ${leaked.join(', ')}`)
  }
}
