import { parseCertificateDer, parseCertificatesPem, parseCrlPem, RevokedError, validateChain, type ParsedCertificate, type ParsedCrl } from '../pki/index.js';
import type { PeerConnection } from './connection.js';
import { PeerRevokedError } from './errors.js';

/**
 * Re-checks connections that passed their handshake against CRLs loaded since (H6). OpenSSL
 * checks revocation once, at the handshake; a peer revoked later keeps its connection unless
 * someone asks again. This asks with the same chain validation the gateway uses (signatures of
 * the CRLs included), for the leaf and for the operator CA above it.
 */
export class RevocationCheck {
  private readonly roots: ParsedCertificate[];
  private readonly crls: ParsedCrl[];

  /** Throws the PKI's typed parse error on a CRL that is not one. */
  constructor(rootPem: string, crlPems: readonly string[]) {
    this.roots = parseCertificatesPem(rootPem);
    this.crls = crlPems.map((pem) => parseCrlPem(pem));
  }

  /**
   * A PeerRevokedError when the connection's certificate or its operator CA is revoked under the
   * current CRLs, else undefined. Only revocation counts: any other verdict leaves the connection
   * up (new handshakes judge those). CRLs outside their validity period are left out, so that an
   * expired root CRL cannot hide an entry of a fresh operator CRL (the expiry warning of
   * docs/pki.md comes well before one expires).
   */
  revoked(conn: PeerConnection, at = new Date()): PeerRevokedError | undefined {
    const intermediates = conn.issuerChainDer().map((der) => parseCertificateDer(der));
    const current = (c: ParsedCrl) => c.thisUpdate <= at && (c.nextUpdate === undefined || at <= c.nextUpdate);
    // A CRL past its nextUpdate still revokes what it lists (a CRL never un-revokes): each is
    // asked on its own, at its own thisUpdate, so that it cannot hide the entries of the others.
    const asks = [{ crls: this.crls.filter(current), at }, ...this.crls.filter((c) => !current(c)).map((c) => ({ crls: [c], at: c.thisUpdate }))];
    for (const ask of asks) {
      try {
        validateChain({ roots: this.roots, intermediates, leaf: conn.peer.certificate, ...ask });
      } catch (err) {
        if (err instanceof RevokedError) return new PeerRevokedError(`${conn.peer.name} (${conn.peer.operator}): ${err.message}`, { cause: err });
      }
    }
    return undefined;
  }
}
