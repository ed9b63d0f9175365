// Challenge-response with the shared secret: each side proves it knows the secret by
// answering the other's fresh nonce. The names and the answering side's role are part of
// the MAC so a proof cannot be replayed on another connection or reflected back.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NONCE_BYTES } from '../../protocol/peer.js';

export type PeerRole = 'dialer' | 'listener';

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** HMAC-SHA256(secret, nonce || dialerName || NUL || listenerName || NUL || role of the answerer). */
export function authProof(secret: string, nonce: Buffer, dialerName: string, listenerName: string, answerer: PeerRole): Buffer {
  return createHmac('sha256', secret)
    .update(nonce)
    .update(`${dialerName}\0${listenerName}\0${answerer}`, 'utf8')
    .digest();
}

export function proofMatches(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}
