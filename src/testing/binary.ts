import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { RedisExpertError } from '../errors.js'

const INSTALL_HINT =
  'Install Redis 7 and put redis-server on PATH: `apt-get install -y redis-server redis-tools` (Debian/Ubuntu), ' +
  '`brew install redis` (macOS), or set REDIS_SERVER_BIN to its full path.'

/** Finds an executable on PATH (or the override), the way a shell would. */
export function findExecutable(name: string, override?: string): string {
  if (override) {
    if (isExecutable(override)) return override
    throw new RedisExpertError(
      'REDIS_SERVER_NOT_FOUND',
      `${override} is not an executable file. ${INSTALL_HINT}`,
    )
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  throw new RedisExpertError('REDIS_SERVER_NOT_FOUND', `${name} was not found on PATH. ${INSTALL_HINT}`, {
    details: { executable: name },
  })
}

export function redisServerPath(): string {
  return findExecutable('redis-server', process.env.REDIS_SERVER_BIN)
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
