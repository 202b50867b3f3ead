import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { LinkBuilder, pageEnvelope } from './links.js';
import { ListOf, PatchScanTemplate } from './wire-models.js';
import { UsedByWire } from './machine-group-routes.js';
import {
  createScanTemplate, deleteScanTemplate, findScanTemplate, listScanTemplates, replaceScanTemplate, scanTemplateUsedBy,
  type PatchFilter, type ScanTemplate, type ScanTemplateInput,
} from '../../scans/scan-templates.js';
import type { PatchType, VendorSeverity } from '../../assess/types.js';

/**
 * Severities on the wire: "All", "None" (that patch type is not scanned for), or a list such as
 * "Critical, Important". A patch without a vendor severity is "Unassigned".
 */
const WIRE_SEVERITIES: Record<string, VendorSeverity> = {
  critical: 'Critical', important: 'Important', moderate: 'Moderate', low: 'Low', unassigned: 'None',
};

function severitiesToWire(filter: PatchFilter, type: PatchType, list: VendorSeverity[]): string {
  if (!filter.patchTypes.includes(type)) return 'None';
  if (list.length === 0) return 'All';
  return list.map((s) => (s === 'None' ? 'Unassigned' : s)).join(', ');
}

function readSeverities(fields: LenientFields, name: string, fallback: 'All' | 'None'): { scanned: boolean; severities: VendorSeverity[] } {
  const raw = fields.raw(name);
  const field = `patchFilter.patchPropertyFilter.${name}`;
  const items = raw === undefined ? [fallback] : Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[,|]/) : undefined;
  if (!items) throw new WireRequestError(field, `${field} must be "All", "None" or a list such as "Critical, Important"`);
  const words = items.map((item) => (typeof item === 'string' ? item.trim() : '')).filter((w, i, all) => w !== '' || all.length === 1);
  if (words.length === 1 && words[0].toLowerCase() === 'all') return { scanned: true, severities: [] };
  if (words.length === 1 && (words[0].toLowerCase() === 'none' || words[0] === '')) return { scanned: false, severities: [] };
  const severities = words.map((word) => {
    const severity = WIRE_SEVERITIES[word.toLowerCase()];
    if (!severity) throw new WireRequestError(field, `${field}: "${word.slice(0, 40)}" is not a severity; use All, None, or any of Critical, Important, Moderate, Low, Unassigned`);
    return severity;
  });
  const unique = [...new Set(severities)];
  return { scanned: true, severities: unique.length === Object.keys(WIRE_SEVERITIES).length ? [] : unique };
}

function refuseUnsupportedFlag(fields: LenientFields, name: string, field: string, what: string): void {
  if (fields.boolean(name, false)) throw new WireRequestError(field, `${field}: ${what} are not supported by this console; send false`);
}

function readPatchFilter(value: unknown): PatchFilter {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new WireRequestError('patchFilter', 'patchFilter must be an object');
  }
  const fields = new LenientFields(value, 'body');
  const wrap = <T>(read: () => T): T => {
    try {
      return read();
    } catch (error) {
      if (error instanceof WireRequestError && !error.field.startsWith('patchFilter')) throw new WireRequestError(`patchFilter.${error.field}`, `patchFilter.${error.message}`);
      throw error;
    }
  };
  const groupFilterType = wrap(() => fields.enumValue('patchGroupFilterType', ['None', 'Scan', 'Skip'] as const, 'None'));
  const groupIds = wrap(() => fields.integerArray('patchGroupIds'));
  if (groupIds.length > 0) throw new WireRequestError('patchFilter.patchGroupIds', `patch group ${groupIds[0]} does not exist`, 404);
  if (groupFilterType !== 'None') {
    throw new WireRequestError('patchFilter.patchGroupIds', `patchGroupFilterType ${groupFilterType} needs patchGroupIds, the patch groups to ${groupFilterType.toLowerCase()}`);
  }
  const scanFor = wrap(() => fields.enumValue('scanFor', ['NecessaryExplicitlyInstalled'] as const, 'NecessaryExplicitlyInstalled'));
  wrap(() => refuseUnsupportedFlag(fields, 'softwareDistribution', 'patchFilter.softwareDistribution', 'software distribution packages'));
  const vendor = fields.raw('vendorFamilyProductFilter');
  if (vendor !== undefined && (typeof vendor !== 'object' || Array.isArray(vendor) || Object.keys(vendor as object).length > 0)) {
    throw new WireRequestError('patchFilter.vendorFamilyProductFilter', 'patchFilter.vendorFamilyProductFilter must be {}: vendor and product filters are not supported by this console');
  }
  const rawProperties = fields.raw('patchPropertyFilter');
  if (rawProperties !== undefined && (typeof rawProperties !== 'object' || Array.isArray(rawProperties))) {
    throw new WireRequestError('patchFilter.patchPropertyFilter', 'patchFilter.patchPropertyFilter must be an object');
  }
  const properties = new LenientFields(rawProperties, 'body');
  refuseUnsupportedFlag(properties, 'securityTools', 'patchFilter.patchPropertyFilter.securityTools', 'security tools');
  refuseUnsupportedFlag(properties, 'customActions', 'patchFilter.patchPropertyFilter.customActions', 'custom actions');
  const security = readSeverities(properties, 'securityPatchSeverities', 'All');
  const nonSecurity = readSeverities(properties, 'nonSecurityPatchSeverities', 'None');
  if (!security.scanned && !nonSecurity.scanned) {
    throw new WireRequestError('patchFilter.patchPropertyFilter', 'the template would scan for nothing: securityPatchSeverities and nonSecurityPatchSeverities are both None');
  }
  const patchTypes: PatchType[] = [];
  if (security.scanned) patchTypes.push('SecurityPatch');
  if (nonSecurity.scanned) patchTypes.push('NonSecurityPatch');
  return {
    patchGroupFilterType: 'None', patchGroupIds: [], scanFor, patchTypes,
    securityPatchSeverities: security.severities, nonSecurityPatchSeverities: nonSecurity.severities,
    securityTools: false, customActions: false, softwareDistribution: false,
  };
}

function readTemplate(body: unknown): ScanTemplateInput {
  const fields = new LenientFields(body, 'body');
  return {
    name: fields.string('name', { required: true, maxLength: 255 })!,
    description: fields.string('description', { maxLength: 1024 }) ?? '',
    path: fields.string('path', { maxLength: 1024 }) ?? '',
    threadCount: fields.integer('threadCount', { min: 1, max: 256, fallback: 8 })!,
    patchFilter: readPatchFilter(fields.raw('patchFilter')),
  };
}

function templateId(request: FastifyRequest): string {
  return new LenientFields(request.params, 'query').guid('templateId', { required: true })!;
}

function templateToWire(template: ScanTemplate, links: LinkBuilder) {
  return {
    creator: template.creator,
    description: template.description,
    id: template.id,
    isSystem: template.isSystem,
    links: { self: links.href(`patch/scanTemplates/${template.id}`), usedby: links.href(`patch/scanTemplates/${template.id}/usedby`) },
    name: template.name,
    path: template.path,
    patchFilter: {
      patchGroupFilterType: template.patchFilter.patchGroupFilterType,
      patchGroupIds: template.patchFilter.patchGroupIds,
      patchPropertyFilter: {
        customActions: template.patchFilter.customActions,
        nonSecurityPatchSeverities: severitiesToWire(template.patchFilter, 'NonSecurityPatch', template.patchFilter.nonSecurityPatchSeverities),
        securityPatchSeverities: severitiesToWire(template.patchFilter, 'SecurityPatch', template.patchFilter.securityPatchSeverities),
        securityTools: template.patchFilter.securityTools,
      },
      scanFor: template.patchFilter.scanFor,
      softwareDistribution: template.patchFilter.softwareDistribution,
      vendorFamilyProductFilter: {},
    },
    threadCount: template.threadCount,
  };
}

export function registerScanTemplateRoutes(app: FastifyInstance, services: ConsoleServices): void {
  app.get('/patch/scanTemplates', { schema: { response: { 200: ListOf(PatchScanTemplate) } } }, async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const count = fields.integer('count', { min: 1, max: 1000, fallback: 10 })!;
    const start = fields.integer('start', { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 1 })!;
    const rows = await listScanTemplates(services.db, {
      count, start, name: fields.string('name'),
      creator: fields.boolean('createdByMe', false) ? request.user!.username : undefined,
    });
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, rows, count, start, (t) => templateToWire(t, links));
  });

  app.get('/patch/scanTemplates/:templateId', { schema: { response: { 200: PatchScanTemplate } } }, async (request) => {
    const id = templateId(request);
    const template = await findScanTemplate(services.db, id);
    if (!template) throw new WireRequestError('templateId', `scan template ${id} does not exist`, 404);
    return templateToWire(template, new LinkBuilder(request, services.publicUrl));
  });

  app.post('/patch/scanTemplates', { schema: { response: { 201: PatchScanTemplate } } }, async (request, reply) => {
    const template = await createScanTemplate(services.db, request.user!.username, readTemplate(request.body));
    const links = new LinkBuilder(request, services.publicUrl);
    reply.header('Location', links.href(`patch/scanTemplates/${template.id}`).href);
    return reply.code(201).send(templateToWire(template, links));
  });

  app.put('/patch/scanTemplates/:templateId', { schema: { response: { 200: PatchScanTemplate } } }, async (request) => {
    const id = templateId(request);
    const template = await replaceScanTemplate(services.db, id, readTemplate(request.body));
    return templateToWire(template, new LinkBuilder(request, services.publicUrl));
  });

  app.delete('/patch/scanTemplates/:templateId', async (request, reply) => {
    await deleteScanTemplate(services.db, templateId(request));
    return reply.code(204).send();
  });

  app.get('/patch/scanTemplates/:templateId/usedby', { schema: { response: { 200: ListOf(UsedByWire) } } }, async (request) => {
    const id = templateId(request);
    if (!(await findScanTemplate(services.db, id))) throw new WireRequestError('templateId', `scan template ${id} does not exist`, 404);
    const value = await scanTemplateUsedBy(services.db, id);
    return { count: value.length, links: { self: new LinkBuilder(request, services.publicUrl).href(`patch/scanTemplates/${id}/usedby`) }, value };
  });
}
