import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { RedisExpertError } from '../errors.js'

/**
 * Starts a server process that cannot outlive this one.
 *
 * The server runs under a tiny `sh` guardian whose stdin is a pipe from this process.
 * When this process goes away — normally, by an uncaught error, or by SIGKILL, when no
 * exit handler runs — the pipe closes, the guardian's `read` returns and it SIGKILLs the
 * server. The guardian reports the server's pid on its first line of stdout.
 */
export interface GuardedProcess {
  readonly pid: number
  /** Resolves with the exit code (or signal name) once the server has exited. */
  readonly exited: Promise<string>
  /** True until the server has exited. */
  readonly running: () => boolean
  signal(signal: NodeJS.Signals): void
  /** Stops guarding: closes the pipe (the guardian SIGKILLs the server if it still runs). */
  release(): void
}

/**
 * A graceful stop can be refused for a while: Redis will not exit while it writes its first AOF
 * ("Writing initial AOF, can't exit") and does not retry on its own. SIGTERM goes again at this
 * interval until the server is gone.
 */
const RESIGNAL_MS = 200
/** A server still running this long after the first signal is SIGKILLed, and the stop fails. */
const HALT_TIMEOUT_MS = 20_000

/**
 * The process a server handle stands for now: none after a stop or kill, a new one after a
 * restart. `halt` signals it until it is gone (bounded: see HALT_TIMEOUT_MS).
 */
export class ProcessSlot {
  #current: GuardedProcess | null

  constructor(first: GuardedProcess) {
    this.#current = first
  }

  get pid(): number {
    return this.#current?.pid ?? 0
  }

  async halt(signal: NodeJS.Signals): Promise<void> {
    const child = this.#current
    if (!child) return
    this.#current = null
    try {
      await untilExited(child, signal)
    } finally {
      child.release()
    }
  }

  replace(next: GuardedProcess): void {
    this.#current = next
  }
}

async function untilExited(child: GuardedProcess, signal: NodeJS.Signals): Promise<void> {
  let gone = false
  const exited = child.exited.then(() => {
    gone = true
  })
  const deadline = Date.now() + HALT_TIMEOUT_MS
  while (!gone && Date.now() < deadline) {
    child.signal(signal)
    await within(exited, RESIGNAL_MS)
  }
  if (gone) return
  child.signal('SIGKILL')
  await within(exited, 5000)
  throw new RedisExpertError(
    'LAUNCHER_FAILED',
    `the server (pid ${child.pid}) was still running ${HALT_TIMEOUT_MS} ms after ${signal}; it was SIGKILLed`,
    { details: { pid: child.pid, signal } },
  )
}

/** Waits for `work`, at most `ms`. */
function within(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() =>
    clearTimeout(timer),
  )
}

const GUARDIAN = [
  'exec 3<&0',
  // Startup errors (a bad directive) go to stderr before the logfile is open: keep them.
  '"$0" "$@" </dev/null >>stdout.log 2>>stderr.log &',
  'pid=$!',
  'echo $pid',
  '(read _ <&3; kill -9 $pid 2>/dev/null) &',
  'reader=$!',
  'wait $pid; code=$?',
  'kill $reader 2>/dev/null',
  'echo "exit:$code"',
].join('\n')

export function spawnGuarded(
  executable: string,
  args: readonly string[],
  cwd: string,
): Promise<GuardedProcess> {
  const guardian: ChildProcess = spawn('sh', ['-c', GUARDIAN, executable, ...args], {
    cwd,
    stdio: ['pipe', 'pipe', 'ignore'],
  })
  liveGuardians.add(guardian)
  return new Promise((resolve, reject) => {
    let buffered = ''
    let pid = 0
    let exitText: string | null = null
    let resolveExit: (code: string) => void = () => {}
    const exited = new Promise<string>((r) => {
      resolveExit = r
    })
    guardian.stdout?.setEncoding('utf8')
    guardian.stdout?.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        if (!pid && /^\d+$/.test(line)) {
          pid = Number(line)
          resolve(handle)
        } else if (line.startsWith('exit:')) {
          exitText = line.slice(5)
        }
      }
    })
    guardian.on('error', reject)
    guardian.on('exit', () => {
      liveGuardians.delete(guardian)
      resolveExit(exitText ?? 'unknown')
      if (!pid) reject(new Error(`could not start ${executable}`))
    })
    const handle: GuardedProcess = {
      get pid() {
        return pid
      },
      exited,
      running: () => guardian.exitCode === null && guardian.signalCode === null,
      signal(signal) {
        try {
          process.kill(pid, signal)
        } catch {
          // already gone
        }
      },
      release() {
        guardian.stdin?.end()
      },
    }
  })
}

const liveGuardians = new Set<ChildProcess>()
const tempDirs = new Set<string>()

/** Removes the directory when this process exits, if nothing removed it before. */
export function removeOnExit(dir: string): void {
  tempDirs.add(dir)
}

export function removeNow(dir: string): void {
  tempDirs.delete(dir)
  rmSync(dir, { recursive: true, force: true })
}

process.once('exit', () => {
  for (const guardian of liveGuardians) guardian.stdin?.end()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})
