import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { LinkBuilder, pageEnvelope } from './links.js';
import { DetectedPatch, ListOf, PatchScan, PatchScanMachine, type DetectedPatchWire, type PatchScanMachineWire, type PatchScanWire } from './wire-models.js';
import type { ScanMachineRecord, ScanPatchRecord, ScanRecord, StartScanRequest } from '../../scans/scan-service.js';

const SCAN_STATE_WIRE: Record<string, string> = { Missing: 'MissingPatch', Installed: 'FoundPatch', InstalledPendingReboot: 'FoundPatch' };

function scanToWire(scan: ScanRecord, links: LinkBuilder): PatchScanWire {
  return {
    consoleName: scan.consoleName,
    definitionDate: scan.definitionDate,
    definitionVersion: scan.definitionVersion,
    expectedResultTotal: scan.expectedResultTotal,
    id: scan.id,
    isComplete: scan.isComplete,
    links: {
      self: links.href(`patch/scans/${scan.id}`),
      machines: links.href(`patch/scans/${scan.id}/machines`),
      template: links.href(`patch/scanTemplates/${scan.templateId}`),
    },
    name: scan.name,
    receivedResultCount: scan.receivedResultCount,
    scanType: 'Patch',
    startedOn: scan.startedOn,
    updatedOn: scan.updatedOn,
    user: scan.userName,
  };
}

function machineToWire(machine: ScanMachineRecord, links: LinkBuilder): PatchScanMachineWire {
  const wire: PatchScanMachineWire = {
    completedOn: machine.completedOn,
    domain: machine.domain ?? '',
    errorDescription: machine.errorDescription ?? '',
    errorNumber: machine.errorNumber ?? 0,
    id: machine.id,
    installedPatchCount: machine.installedPatchCount,
    links: {
      self: links.href(`patch/scans/${machine.scanId}/machines/${machine.id}`),
      patches: links.href(`patch/scans/${machine.scanId}/machines/${machine.id}/patches`),
    },
    missingPatchCount: machine.missingPatchCount,
    missingServicePackCount: 0,
    name: machine.name,
    virtualMachinePath: null,
    virtualServer: null,
  };
  if (machine.dnsName) wire.dnsName = machine.dnsName;
  return wire;
}

function patchToWire(patch: ScanPatchRecord, links: LinkBuilder, includePackages: boolean): DetectedPatchWire {
  const wire: DetectedPatchWire = {
    bulletinId: patch.bulletinId,
    cultureName: '',
    instanceName: null,
    kb: patch.kb,
    links: { download: links.href(`patch/downloads/${patch.patchId}?culture=en-US`) },
    patchId: patch.patchId,
    patchType: patch.patchType,
    productId: patch.productId,
    productName: patch.productName,
    scanItemId: patch.id,
    scanState: SCAN_STATE_WIRE[patch.scanState] ?? patch.scanState,
    servicePackName: '',
    vendorSeverity: patch.vendorSeverity,
  };
  if (includePackages) wire.packages = patch.packages as DetectedPatchWire['packages'];
  return wire;
}

/** Reads `POST /patch/scans` bodies as the existing clients send them. */
export function readStartScanRequest(body: unknown): StartScanRequest {
  const fields = new LenientFields(body, 'body');
  const request: StartScanRequest = {
    name: fields.string('name', { required: true, maxLength: 255 })!,
    templateId: fields.guid('templateId', { required: true })!,
    endpointNames: fields.stringArray('endpointNames', { maxItems: 10_000 }),
    machineGroupIds: fields.integerArray('machineGroupIds'),
    credentialId: fields.guid('credentialId'),
    runAsCredentialId: fields.guid('runAsCredentialId'),
    useMachineCredential: fields.boolean('useMachineCredential', false),
    diagnosticTraceEnabled: fields.boolean('diagnosticTraceEnabled', false),
    sshServerValidationMode: fields.enumValue('sshServerValidationMode', ['Blocked', 'SkipServerAuthentication'] as const, 'Blocked'),
    connectionMethod: fields.string('connectionMethod', { maxLength: 64 }),
  };
  if (request.endpointNames.length === 0 && request.machineGroupIds.length === 0) {
    throw new WireRequestError('endpointNames', 'either endpointNames or machineGroupIds is required: name at least one machine to scan');
  }
  return request;
}

function readScanId(request: FastifyRequest): string {
  const id = (request.params as { scanId: string }).scanId;
  return new LenientFields({ scanId: id }, 'query').guid('scanId', { required: true })!;
}

function readMachineId(request: FastifyRequest): number {
  const raw = (request.params as { machineId: string }).machineId;
  return new LenientFields({ machineId: raw }, 'query').integer('machineId', { min: 1, max: Number.MAX_SAFE_INTEGER })!;
}

function readPage(fields: LenientFields, defaultCount: number) {
  return {
    count: fields.integer('count', { min: 1, max: 1000, fallback: defaultCount })!,
    start: fields.integer('start', { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 1 })!,
  };
}

const notFound = (what: string) => new WireRequestError('id', `${what} does not exist`, 404);

export function registerPatchScanRoutes(app: FastifyInstance, services: ConsoleServices): void {
  const { scans } = services;

  app.post('/patch/scans', { schema: { response: { 202: PatchScan } } }, async (request, reply) => {
    const scan = await scans.startScan(readStartScanRequest(request.body), request.user!);
    const links = new LinkBuilder(request, services.publicUrl);
    reply.header('Operation-Location', links.href(`operations/${scan.id}`).href);
    reply.header('Location', links.href(`patch/scans/${scan.id}`).href);
    return reply.code(202).send(scanToWire(scan, links));
  });

  app.get('/patch/scans', { schema: { response: { 200: ListOf(PatchScan) } } }, async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const { count, start } = readPage(fields, 10);
    const onOrAfter = fields.dateTime('onOrAfter');
    const onOrBefore = fields.dateTime('onOrBefore');
    if (onOrAfter && onOrBefore && onOrAfter > onOrBefore) throw new WireRequestError('onOrAfter', 'onOrAfter must not be later than onOrBefore');
    const rows = await scans.listScans({
      count, start, name: fields.string('name'), onOrAfter, onOrBefore,
      createdByUserId: fields.boolean('createdByMe', false) ? request.user!.id : undefined,
    });
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, rows, count, start, (scan) => scanToWire(scan, links));
  });

  app.get('/patch/scans/:scanId', { schema: { response: { 200: PatchScan } } }, async (request) => {
    const scan = await scans.getScan(readScanId(request));
    if (!scan) throw notFound(`patch scan ${readScanId(request)}`);
    return scanToWire(scan, new LinkBuilder(request, services.publicUrl));
  });

  app.delete('/patch/scans/:scanId', async (request, reply) => {
    const id = readScanId(request);
    if (!(await scans.deleteScan(id))) throw notFound(`patch scan ${id}`);
    return reply.code(204).send();
  });

  app.get('/patch/scans/:scanId/machines', { schema: { response: { 200: ListOf(PatchScanMachine) } } }, async (request) => {
    const id = readScanId(request);
    if (!(await scans.getScan(id))) throw notFound(`patch scan ${id}`);
    const fields = new LenientFields(request.query, 'query');
    const { count, start } = readPage(fields, 1000);
    const machines = (await scans.listScanMachines(id)).slice(start - 1, start - 1 + count + 1);
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, machines, count, start, (m) => machineToWire(m, links));
  });

  app.get('/patch/scans/:scanId/machines/:machineId', { schema: { response: { 200: PatchScanMachine } } }, async (request) => {
    const id = readScanId(request);
    const machineId = readMachineId(request);
    const machine = await scans.getScanMachine(id, machineId);
    if (!machine) throw notFound(`machine ${machineId} of patch scan ${id}`);
    return machineToWire(machine, new LinkBuilder(request, services.publicUrl));
  });

  app.get('/patch/scans/:scanId/machines/:machineId/patches', { schema: { response: { 200: ListOf(DetectedPatch) } } }, async (request) => {
    const id = readScanId(request);
    const machineId = readMachineId(request);
    if (!(await scans.getScanMachine(id, machineId))) throw notFound(`machine ${machineId} of patch scan ${id}`);
    const fields = new LenientFields(request.query, 'query');
    const { count, start } = readPage(fields, 1000);
    const includePackages = fields.boolean('includePackages', false);
    const patches = (await scans.listScanMachinePatches(machineId)).slice(start - 1, start - 1 + count + 1);
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, patches, count, start, (p) => patchToWire(p, links, includePackages));
  });
}
