/**
 * The client's `Patch` object (spec §2.14) as the store builds it for patch listings: which key
 * holds which value of a patch row, in the order of the `PmPatch` response schema. Checked
 * against that schema when loaded, so a listing can never send a key the schema does not declare.
 */
import type { PatchDocumentField } from '../../scans/patch-documents.js';
import { PmPatch } from './pm-wire-models.js';

export const PATCH_WIRE_DOCUMENT: readonly PatchDocumentField[] = [
  { key: 'id', value: { text: 'id' } },
  { key: 'title', value: { text: 'title' } },
  { key: 'type', value: { text: 'patch_kind' } },
  { key: 'platform', value: { text: 'platform' } },
  { key: 'architecture', value: { jsonArray: 'architectures' } },
  { key: 'bulletin', value: { text: 'bulletin' } },
  { key: 'cve', value: { values: 'cves' } },
  { key: 'kb', value: { text: 'kb' } },
  { key: 'modifiedDate', value: { integer: 'modified_ms' } },
  { key: 'appFamily', value: { text: 'source_name' } },
  { key: 'product', value: { singleton: 'source_name' } },
  { key: 'publishedDate', value: { integer: 'published_ms' } },
  { key: 'qid', value: { values: 'qids' } },
  { key: 'rebootRequired', value: { flag: 'reboot_required' } },
  { key: 'supersededBy', value: { constant: [] } },
  { key: 'supersedes', value: { constant: [] } },
  { key: 'vendor', value: { text: 'vendor' } },
  { key: 'vendorSeverity', value: { text: 'vendor_severity' } },
  { key: 'missingCount', value: { integer: 'missing_count' } },
  { key: 'installedCount', value: { integer: 'installed_count' } },
  { key: 'enabled', value: { flag: 'enabled' } },
  { key: 'packageDetails', value: { jsonArray: 'package_details' } },
  { key: 'isSecurity', value: { flag: 'is_security' } },
  { key: 'isSuperseded', value: { flag: 'is_superseded' } },
  { key: 'isRollback', value: { flag: 'is_rollback' } },
  { key: 'isCustomizedDownloadUrl', value: { constant: false } },
];

const declared = Object.keys(PmPatch.properties);
const undeclared = PATCH_WIRE_DOCUMENT.filter(({ key }) => !declared.includes(key));
if (undeclared.length > 0) throw new Error(`patch wire document keys not in the PmPatch schema: ${undeclared.map((f) => f.key).join(', ')}`);

/** The document's fields a request wants: all, or those `attributes` names, in document order. */
export function patchWireFields(attributes: ReadonlySet<string> | undefined): readonly PatchDocumentField[] {
  return attributes ? PATCH_WIRE_DOCUMENT.filter(({ key }) => attributes.has(key)) : PATCH_WIRE_DOCUMENT;
}
