import { BsnError } from '../errors.js';

/** A peer sent a frame whose declared length is over the limit: the connection is dropped. */
export class FrameTooLargeError extends BsnError {
  readonly code = 'P2P_FRAME_TOO_LARGE';
}

/** A frame was handed to the encoder that cannot be sent (too large, empty channel). */
export class FrameEncodeError extends BsnError {
  readonly code = 'P2P_FRAME_ENCODE';
}
