import type { IncomingMessage, ServerResponse } from 'node:http'
import { optionNames, strictOptions } from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import { rateLimitHeaders } from './headers.js'
import type { Decision, RateLimiter } from './limiter.js'

/**
 * HTTP middleware for Express and Fastify, typed structurally so that neither framework is a
 * dependency of the toolkit. Both answer 429 with Retry-After when refused and set the
 * RateLimit-* headers on every response.
 */
export interface RateLimitMiddlewareOptions<Req> {
  /** Who is limited; default the client address (`req.ip`). Return undefined to skip limiting. */
  readonly key?: (req: Req) => string | undefined
  /** Units this request costs; default 1. */
  readonly cost?: (req: Req) => number
  /**
   * When Redis cannot decide (unreachable, timeout): false (default) passes the error on, so the
   * request fails; true lets the request through without limiting.
   */
  readonly failOpen?: boolean
  /** Body of the 429 answer. */
  readonly message?: string
}

interface IpRequest {
  readonly ip?: string | undefined
}

const MIDDLEWARE_OPTIONS = optionNames<RateLimitMiddlewareOptions<unknown>>({
  key: true,
  cost: true,
  failOpen: true,
  message: true,
})

function checkOptions<Req>(limiter: RateLimiter, options: RateLimitMiddlewareOptions<Req> | undefined) {
  if (typeof limiter?.consume !== 'function')
    throw invalidArgument('the first argument must be a rate limiter')
  strictOptions('rate limit middleware options', options, MIDDLEWARE_OPTIONS)
  for (const name of ['key', 'cost'] as const)
    if (options?.[name] !== undefined && typeof options[name] !== 'function')
      throw invalidArgument(`${name} must be a function of the request`)
}

async function decide<Req extends IpRequest>(
  limiter: RateLimiter,
  req: Req,
  options: RateLimitMiddlewareOptions<Req> | undefined,
): Promise<Decision | null> {
  const id = options?.key ? options.key(req) : req.ip
  if (id === undefined) return null
  return limiter.consume(id, options?.cost ? options.cost(req) : 1)
}

type ExpressRequest = IncomingMessage & IpRequest
type Next = (error?: unknown) => void

/** `app.use(rateLimitExpress(limiter))`. */
export function rateLimitExpress<Req extends ExpressRequest = ExpressRequest>(
  limiter: RateLimiter,
  options?: RateLimitMiddlewareOptions<Req>,
): (req: Req, res: ServerResponse, next: Next) => void {
  checkOptions(limiter, options)
  const message = options?.message ?? 'Too Many Requests'
  return (req, res, next) => {
    decide(limiter, req, options).then(
      (decision) => {
        if (!decision) return next()
        for (const [name, value] of Object.entries(rateLimitHeaders(decision, limiter.windowMs)))
          res.setHeader(name, value)
        if (decision.allowed) return next()
        res.statusCode = 429
        res.setHeader('Content-Type', 'text/plain; charset=utf-8')
        res.end(message)
      },
      (error: unknown) => (options?.failOpen ? next() : next(error)),
    )
  }
}

interface FastifyLikeReply {
  header(name: string, value: string): unknown
  code(statusCode: number): unknown
  send(payload?: unknown): unknown
}

/** `fastify.addHook('onRequest', rateLimitFastify(limiter))`. */
export function rateLimitFastify<Req extends IpRequest, Reply extends FastifyLikeReply>(
  limiter: RateLimiter,
  options?: RateLimitMiddlewareOptions<Req>,
): (request: Req, reply: Reply) => Promise<Reply | undefined> {
  checkOptions(limiter, options)
  const message = options?.message ?? 'Too Many Requests'
  return async (request, reply) => {
    let decision: Decision | null
    try {
      decision = await decide(limiter, request, options)
    } catch (error) {
      if (options?.failOpen) return undefined
      throw error
    }
    if (!decision) return undefined
    for (const [name, value] of Object.entries(rateLimitHeaders(decision, limiter.windowMs)))
      reply.header(name, value)
    if (decision.allowed) return undefined
    reply.code(429)
    reply.send({ statusCode: 429, error: 'Too Many Requests', message })
    // An async hook that sent a reply returns it, so Fastify stops the request here.
    return reply
  }
}
