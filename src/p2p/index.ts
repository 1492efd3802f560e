// Node-to-node networking: mutual-TLS transport, peers, multiplexed chains, gossip, block sync.
// See docs/networking.md.
export * from './errors.js';
export { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder, type Frame } from './frame.js';
export { PeerConnection, type ConnectionEvents } from './connection.js';
export { Transport, type TransportEvents, type TransportOptions } from './transport.js';
export { peerIdentityOf, type PeerIdentity } from './identity.js';
export { backoffDelay, seededRandom, DEFAULT_BACKOFF, type BackoffOptions, type RandomSource } from './backoff.js';
export { PeerScores, DEFAULT_SCORING, type Offence, type ScoringOptions } from './scoring.js';
export { P2pCounters, silentLogger, type P2pLogger, type P2pMetricsSnapshot } from './observe.js';
export { PeerManager, type AdmissionPolicy, type PeerAddress, type PeerManagerEvents, type PeerManagerOptions } from './peer-manager.js';
export { Router, type ChainHandlers, type PeerChainInfo, type RouterOptions } from './router.js';
export { BlockSync, type BlockSyncEvents, type BlockSyncOptions, type SyncStore, type VerifyBlock } from './block-sync.js';
export {
  CHANNEL,
  PROTOCOL_VERSION,
  MAX_BLOCKS_PER_REQUEST,
  channelName,
  type Channel,
  type ChainChannel,
  type ControlMessage,
  type HostedChain,
  type SyncMessage,
  type SyncedBlock,
} from './messages.js';
