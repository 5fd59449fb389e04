/**
 * redis-expert/messaging — streams with consumer groups (at-least-once, recovery, dead letters)
 * and typed pub/sub. See docs/messaging.md.
 */

export { type MessagingCode, messagingError } from './errors.js'
export * from './pubsub/index.js'
export * from './streams/index.js'
