import type { Server } from 'node:http'
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createRateLimiter,
  type RateLimiter,
  rateLimitExpress,
  rateLimitFastify,
  rateLimitHeaders,
} from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf } from './helpers.js'
import { Browser, baseUrl } from './http.js'

const { db } = await startRedisForFile()

const failing = (limiter: RateLimiter): RateLimiter => ({
  ...limiter,
  consume: () => Promise.reject(new Error('redis is down')),
})

describe('Express middleware', () => {
  let http: Server
  let base: string
  let limiter: RateLimiter

  beforeAll(async () => {
    limiter = createRateLimiter(db, {
      algorithm: 'fixed-window',
      limit: 3,
      windowMs: 60_000,
      name: 'http:express',
    })
    const burst = createRateLimiter(db, {
      algorithm: 'token-bucket',
      limit: 100,
      windowMs: 3_600_000,
      name: 'http:burst',
    })
    const app = express()
    app.get(
      '/limited',
      rateLimitExpress(limiter, { key: (req) => String(req.headers['x-user'] ?? req.ip) }),
      (_req, res) => {
        res.json({ ok: true })
      },
    )
    app.get('/burst', rateLimitExpress(burst), (_req, res) => res.json({ ok: true }))
    app.get('/down-open', rateLimitExpress(failing(limiter), { failOpen: true }), (_req, res) =>
      res.json({ ok: true }),
    )
    app.get('/down-closed', rateLimitExpress(failing(limiter)), (_req, res) => res.json({ ok: true }))
    http = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => http.once('listening', resolve))
    base = baseUrl(http)
  })
  afterAll(() => new Promise((resolve) => http?.close(resolve)))

  it('sets RateLimit-* on every answer and answers 429 with Retry-After past the limit', async () => {
    const client = new Browser(base)
    for (const remaining of [2, 1, 0]) {
      const { status, headers } = await client.get('/limited')
      expect(status).toBe(200)
      expect(headers.get('ratelimit-limit')).toBe('3')
      expect(headers.get('ratelimit-remaining')).toBe(String(remaining))
      expect(Number(headers.get('ratelimit-reset'))).toBeGreaterThan(58)
      expect(headers.get('ratelimit-policy')).toBe('3;w=60')
      expect(headers.get('retry-after')).toBeNull()
    }
    const refused = await client.get('/limited')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('ratelimit-remaining')).toBe('0')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(58)
    expect(refused.body).toBe('Too Many Requests')
  })

  it('limits per key', async () => {
    const res = await fetch(`${base}/limited`, { headers: { 'x-user': 'someone-else' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('ratelimit-remaining')).toBe('2')
  })

  it('1000 concurrent HTTP requests against a limit of 100: exactly 100 pass', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, () =>
        fetch(`${base}/burst`).then((r) => r.arrayBuffer().then(() => r.status)),
      ),
    )
    expect(statuses.filter((s) => s === 200)).toHaveLength(100)
    expect(statuses.filter((s) => s === 429)).toHaveLength(900)
  }, 30_000)

  it('when Redis cannot decide: fails closed by default, open when asked', async () => {
    expect((await fetch(`${base}/down-closed`)).status).toBe(500)
    expect((await fetch(`${base}/down-open`)).status).toBe(200)
  })
})

describe('Fastify hook', () => {
  let app: FastifyInstance
  let base: string

  beforeAll(async () => {
    const limiter = createRateLimiter(db, {
      algorithm: 'sliding-log',
      limit: 2,
      windowMs: 10_000,
      name: 'http:fastify',
    })
    app = Fastify()
    app.addHook('onRequest', rateLimitFastify(limiter))
    app.get('/', async () => ({ ok: true }))
    base = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => app?.close())

  it('sets the headers and answers 429 with Retry-After', async () => {
    const client = new Browser(base)
    const first = await client.get('/')
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit-limit')).toBe('2')
    expect(first.headers.get('ratelimit-remaining')).toBe('1')
    expect((await client.get('/')).headers.get('ratelimit-remaining')).toBe('0')
    const refused = await client.get('/')
    expect(refused.status).toBe(429)
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' })
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(9)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(10)
  })
})

describe('headers and bad input', () => {
  it('rounds seconds up so that a client never retries early', () => {
    const headers = rateLimitHeaders(
      { allowed: false, limit: 10, remaining: 0, resetMs: 1001, retryAfterMs: 1 },
      1500,
    )
    expect(headers).toEqual({
      'RateLimit-Policy': '10;w=2',
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '2',
      'Retry-After': '1',
    })
  })

  it('refuses a non-limiter and non-function options', async () => {
    expect(await codeOf(() => rateLimitExpress({} as never))).toBe('INVALID_ARGUMENT')
    const limiter = createRateLimiter(db, {
      algorithm: 'fixed-window',
      limit: 1,
      windowMs: 1000,
      name: 'http:bad',
    })
    expect(await codeOf(() => rateLimitFastify(limiter, { key: 'ip' as never }))).toBe('INVALID_ARGUMENT')
  })
})
