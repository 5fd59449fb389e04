import { type ChildProcess, spawn } from 'node:child_process'

/**
 * The operating system's python3: Debian's python3-celery, python3-rq and python3-redis belong to
 * it. The first python3 on PATH may be a version manager's that cannot import them.
 */
export const PYTHON = '/usr/bin/python3'

export interface PythonRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface PythonOptions {
  readonly cwd?: string
  readonly env?: Readonly<Record<string, string>>
  /** Killed (SIGKILL) past this; the run then rejects. Default 30 s. */
  readonly timeoutMs?: number
}

function pythonEnv(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  // PYTHONPATH/PYTHONHOME from a version manager would point the system interpreter elsewhere.
  const { PYTHONPATH: _path, PYTHONHOME: _home, ...env } = process.env
  return { ...env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra }
}

/** Runs `python3 args...` to completion; rejects with its output when it exits non-zero. */
export function runPython(args: readonly string[], options: PythonOptions = {}): Promise<PythonRun> {
  const child = spawn(PYTHON, args, { cwd: options.cwd, env: pythonEnv(options.env), stdio: 'pipe' })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const timeoutMs = options.timeoutMs ?? 30_000
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const run = { code, stdout, stderr }
      if (code === 0) resolve(run)
      else
        reject(
          new Error(
            `${PYTHON} ${args.join(' ')} exited ${code ?? signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
          ),
        )
    })
  })
}

/** A long-running Python process (a worker); its output is kept for failure messages. */
export interface PythonProcess {
  readonly child: ChildProcess
  output(): string
  /** Resolves once a line of its output matches, or rejects when it exits or the time is up. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>
  /** SIGKILL, as a crash. */
  kill(): Promise<void>
}

export function spawnPython(args: readonly string[], options: PythonOptions = {}): PythonProcess {
  const child = spawn(PYTHON, args, { cwd: options.cwd, env: pythonEnv(options.env), stdio: 'pipe' })
  let output = ''
  const waiters = new Set<() => void>()
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8')
    for (const check of waiters) check()
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const isRunning = () => child.exitCode === null && child.signalCode === null
  const end = async (signal: NodeJS.Signals, graceMs: number) => {
    if (!isRunning()) return
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  return {
    child,
    output: () => output,
    waitForOutput(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) return finish()
          if (!isRunning()) return finish(new Error(`python exited before printing ${pattern}:\n${output}`))
        }
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)),
          timeoutMs,
        )
        const finish = (error?: Error) => {
          clearTimeout(timer)
          waiters.delete(check)
          child.off('exit', check)
          if (error) reject(error)
          else resolve()
        }
        waiters.add(check)
        child.on('exit', check)
        check()
      })
    },
    stop: (graceMs = 10_000) => end('SIGTERM', graceMs),
    kill: () => end('SIGKILL', 0),
  }
}
