import { Type, type Static } from 'typebox';

/**
 * Response shapes of the Security Controls console API. Fastify serialises responses through
 * these schemas, so only the declared properties ever reach a client.
 */
const Href = Type.Object({ href: Type.String() });
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const ErrorBody = Type.Object({ message: Type.String(), field: Type.Optional(Type.String()) });

export const PatchScan = Type.Object({
  consoleName: Type.String(),
  definitionDate: NullableString,
  definitionVersion: NullableString,
  expectedResultTotal: Type.Integer(),
  id: Type.String(),
  isComplete: Type.Boolean(),
  links: Type.Object({ self: Href, machines: Href, template: Href }),
  name: Type.String(),
  receivedResultCount: Type.Integer(),
  scanType: Type.String(),
  startedOn: Type.String(),
  updatedOn: Type.String(),
  user: Type.String(),
});
export type PatchScanWire = Static<typeof PatchScan>;

export const PatchScanMachine = Type.Object({
  completedOn: NullableString,
  dnsName: Type.Optional(Type.String()),
  domain: Type.String(),
  errorDescription: Type.String(),
  errorNumber: Type.Integer(),
  id: Type.Integer(),
  installedPatchCount: Type.Integer(),
  links: Type.Object({ self: Href, patches: Href }),
  missingPatchCount: Type.Integer(),
  missingServicePackCount: Type.Integer(),
  name: Type.String(),
  virtualMachinePath: NullableString,
  virtualServer: NullableString,
});
export type PatchScanMachineWire = Static<typeof PatchScanMachine>;

/** patchwarden's extension, sent only when the caller asks with `includePackages=true`. */
export const DetectedPatchPackage = Type.Object({
  name: Type.String(),
  architecture: Type.String(),
  installedVersion: Type.String(),
  candidateVersion: Type.String(),
  suites: Type.Array(Type.String()),
});

export const DetectedPatch = Type.Object({
  bulletinId: Type.String(),
  cultureName: Type.String(),
  instanceName: NullableString,
  kb: Type.String(),
  links: Type.Object({ download: Href }),
  patchId: Type.String(),
  patchType: Type.String(),
  productId: Type.String(),
  productName: Type.String(),
  scanItemId: Type.Integer(),
  scanState: Type.String(),
  servicePackName: Type.String(),
  vendorSeverity: Type.String(),
  packages: Type.Optional(Type.Array(DetectedPatchPackage)),
});
export type DetectedPatchWire = Static<typeof DetectedPatch>;

export const Operation = Type.Object({
  created: Type.String(),
  lastAction: Type.String(),
  operation: Type.String(),
  percentComplete: Type.Integer(),
  resourceLocation: Type.Optional(Type.String()),
  status: Type.String(),
  error: Type.Optional(Type.Object({ message: Type.String() })),
});

export const PatchScanTemplate = Type.Object({
  creator: Type.String(),
  description: Type.String(),
  id: Type.String(),
  isSystem: Type.Boolean(),
  links: Type.Object({ self: Href, usedby: Href }),
  name: Type.String(),
  path: Type.String(),
  patchFilter: Type.Object({
    patchGroupFilterType: Type.String(),
    patchGroupIds: Type.Array(Type.Integer()),
    patchPropertyFilter: Type.Object({
      customActions: Type.Boolean(),
      nonSecurityPatchSeverities: Type.String(),
      securityPatchSeverities: Type.String(),
      securityTools: Type.Boolean(),
    }),
    scanFor: Type.String(),
    softwareDistribution: Type.Boolean(),
    vendorFamilyProductFilter: Type.Object({}),
  }),
  threadCount: Type.Integer(),
});

export const ConfigurationVersion = Type.Object({
  latestApiVersion: Type.String(),
  productName: Type.String(),
  productVersion: Type.String(),
});

/** The list envelope: `count` is the number of items in this page; `next` only while more follow. */
export function ListOf<T extends Parameters<typeof Type.Array>[0]>(item: T) {
  return Type.Object({
    count: Type.Integer(),
    links: Type.Object({ self: Type.Optional(Href), next: Type.Optional(Href) }),
    value: Type.Array(item),
  });
}
