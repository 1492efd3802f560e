import type { PeerCertificate } from 'node:tls';
import { parseCertificateDer, type ParsedCertificate } from '../pki/index.js';
import { PeerIdentityError } from './errors.js';

/** Who is at the other end of a connection, as its certificate says. */
export interface PeerIdentity {
  /** The node's name (the certificate's CN). */
  readonly name: string;
  /** SHA-256 fingerprint of the node certificate: the peer's stable id. */
  readonly fingerprint: string;
  /** Subject of the operator CA that issued it. */
  readonly operator: string;
  readonly certificate: ParsedCertificate;
}

/**
 * TLS has already checked the chain to the root, validity and revocation; this adds what OpenSSL
 * does not know: the certificate must carry BSN's node role.
 */
export function peerIdentityOf(peer: PeerCertificate): PeerIdentity {
  if (!peer.raw) throw new PeerIdentityError('the peer presented no certificate');
  const certificate = parseCertificateDer(new Uint8Array(peer.raw));
  const role = certificate.extensions.identity?.role;
  if (role !== 'node') throw new PeerIdentityError(`peer certificate '${certificate.subjectText}' has role ${role ?? '(none)'}, not node`);
  const cn = typeof peer.subject?.CN === 'string' ? peer.subject.CN : certificate.subjectText;
  return { name: cn, fingerprint: certificate.fingerprint, operator: certificate.issuerText, certificate };
}
