/**
 * Stable identity of a Debian-family patch: the binary packages built from one source package
 * version for one release. The same (release, source, source version) gives the same patch id
 * on every machine, in every scan, on every patchwarden installation.
 */
import { v5 as uuidV5 } from 'uuid';
import type { PatchType } from './types.js';

/**
 * UUID v5 namespace of Debian-family patch ids. Never change it: every stored patch id and
 * every id handed out through the APIs is derived from it.
 */
export const DEBIAN_PATCH_ID_NAMESPACE = '2691f44c-8ce7-4953-adbf-a39dc20c970b';

/** What identifies a patch. */
export interface PatchIdentity {
  /** Release without pocket, e.g. `bookworm`. */
  release: string;
  sourceName: string;
  sourceVersion: string;
}

/** UUID v5 of `release/source/sourceVersion` in {@link DEBIAN_PATCH_ID_NAMESPACE}. */
export function patchIdOf(identity: PatchIdentity): string {
  return uuidV5(`${identity.release}/${identity.sourceName}/${identity.sourceVersion}`, DEBIAN_PATCH_ID_NAMESPACE);
}

/** Readable, stable bulletin id, e.g. `DEB-bookworm-openssl-3.0.17-1~deb12u1`. */
export function bulletinIdOf(identity: PatchIdentity): string {
  return `DEB-${identity.release}-${identity.sourceName}-${identity.sourceVersion}`;
}

/** e.g. `openssl 3.0.17-1~deb12u1 security update for bookworm`. */
export function patchTitleOf(identity: PatchIdentity, patchType: PatchType): string {
  const kind = patchType === 'SecurityPatch' ? 'security update' : 'update';
  return `${identity.sourceName} ${identity.sourceVersion} ${kind} for ${identity.release}`;
}
