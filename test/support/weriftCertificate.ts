// One DTLS certificate for all of a werift test peer's transports, the way
// the browser SDK shares one between its send and receive transports: a live
// session is bound to the DTLS fingerprint of the peer that connects first
// (media/InjectionProbe.ts) and refuses transports that present another.
// Pass the result as msc-node's createSendTransport/createRecvTransport
// `additionalSettings`.
import { HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from 'werift';
import { CipherContext } from 'werift/lib/dtls/src/context/cipher.js';

export interface WeriftDtlsSettings {
  readonly dtls: { readonly keys: { readonly keyPem: string; readonly certPem: string; readonly signatureHash: unknown } };
}

/** A fresh self-signed ECDSA P-256 certificate as werift RTCPeerConnection settings. */
export async function weriftDtlsSettings(): Promise<WeriftDtlsSettings> {
  const keys = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
    NamedCurveAlgorithm.secp256r1_23,
  );
  return { dtls: { keys } };
}
