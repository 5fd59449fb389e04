import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A browser in miniature: fetch on loopback that keeps its cookies. */
export class Browser {
  readonly #cookies = new Map<string, string>()
  constructor(readonly base: string) {}

  async request(method: string, path: string): Promise<{ status: number; body: unknown; headers: Headers }> {
    const headers: Record<string, string> = {}
    if (this.#cookies.size > 0)
      headers.cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await fetch(`${this.base}${path}`, { method, headers })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const at = pair!.indexOf('=')
      this.#cookies.set(pair!.slice(0, at), pair!.slice(at + 1))
    }
    const text = await response.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // Plain text body.
    }
    return { status: response.status, body, headers: response.headers }
  }

  /** The same browser (its cookies copied) talking to another server: the app after a deploy. */
  moveTo(base: string): Browser {
    const moved = new Browser(base)
    for (const [name, value] of this.#cookies) moved.#cookies.set(name, value)
    return moved
  }

  get = (path: string) => this.request('GET', path)
  post = (path: string) => this.request('POST', path)
}

export function baseUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
