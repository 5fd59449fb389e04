import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export { callsBetween, commandCalls, commandsOf } from '../support/commandstats.js'
export { codeOf } from '../support/errors.js'
export { sleep } from '../support/wait.js'

/** Runs a fixture with `node --import tsx`; resolves to its stdout lines once it exits 0. */
export function runChild(fixture: string, args: readonly string[]): { done: Promise<string[]>; pid: number } {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const done = new Promise<string[]>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out.trim().split('\n').filter(Boolean))
      else reject(new Error(`${fixture} exited with ${code ?? signal}: ${err.slice(-2000)}`))
    })
  })
  return { done, pid: child.pid ?? -1 }
}

/** Resolves with the first stdout line matching `pattern` of a running child. */
export function spawnChild(fixture: string, args: readonly string[]) {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}
