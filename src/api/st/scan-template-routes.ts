import type { FastifyInstance } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { LinkBuilder, pageEnvelope } from './links.js';
import { ListOf, PatchScanTemplate } from './wire-models.js';
import { findScanTemplate, listScanTemplates, type ScanTemplate } from '../../scans/scan-templates.js';

function severities(list: string[]): string {
  return list.length === 0 ? 'None' : list.join(', ');
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
        nonSecurityPatchSeverities: severities(template.patchFilter.nonSecurityPatchSeverities),
        securityPatchSeverities: severities(template.patchFilter.securityPatchSeverities),
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
    const id = new LenientFields(request.params, 'query').guid('templateId', { required: true })!;
    const template = await findScanTemplate(services.db, id);
    if (!template) throw new WireRequestError('templateId', `scan template ${id} does not exist`, 404);
    return templateToWire(template, new LinkBuilder(request, services.publicUrl));
  });
}
