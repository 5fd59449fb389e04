export {
  type Channel,
  type ChannelDeclaration,
  type ChannelDeclarations,
  type Channels,
  defineChannels,
  type MessageOf,
  type MessageType,
  message,
} from './channels.js'
export type { OverflowPolicy } from './inbox.js'
export type { RawListener, SubscriberPort, SubscriptionKind } from './port.js'
export {
  createPubSub,
  type Delivery,
  type MessageHandler,
  type PubSub,
  type PubSubOptions,
  type Subscription,
} from './pubsub.js'
