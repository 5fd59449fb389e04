export type { RawListener, SubscriberPort, SubscriptionKind } from '../../client/subscriptions.js'
