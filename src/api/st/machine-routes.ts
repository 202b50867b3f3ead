import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { LinkBuilder, pageEnvelope } from './links.js';
import { ListOf } from './wire-models.js';
import type { KnownMachine } from '../../scans/machines.js';

/** `/machines`: the machines scans have reached. */
const Href = Type.Object({ href: Type.String() });
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const MachineWire = Type.Object({
  assignedGroup: Type.String(),
  consoleName: Type.String(),
  dnsName: NullableString,
  domain: Type.String(),
  id: Type.Integer(),
  ipAddress: NullableString,
  lastPatchScanDate: NullableString,
  links: Type.Object({ self: Href }),
  name: Type.String(),
  operatingSystem: NullableString,
});

function machineToWire(machine: KnownMachine, consoleName: string, links: LinkBuilder) {
  return {
    assignedGroup: '',
    consoleName,
    dnsName: machine.dnsName,
    domain: machine.domain ?? '',
    id: machine.id,
    ipAddress: machine.ipAddress,
    lastPatchScanDate: machine.lastScannedAt,
    links: { self: links.href(`machines/${machine.id}`) },
    name: machine.name,
    operatingSystem: machine.operatingSystem,
  };
}

function machineId(request: FastifyRequest): number {
  return new LenientFields(request.params, 'query').integer('machineId', { min: 1, max: Number.MAX_SAFE_INTEGER })!;
}

const notFound = (id: number) => new WireRequestError('machineId', `machine ${id} does not exist`, 404);

export function registerMachineRoutes(app: FastifyInstance, services: ConsoleServices): void {
  app.get('/machines', { schema: { response: { 200: ListOf(MachineWire) } } }, async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const count = fields.integer('count', { min: 1, max: 1000, fallback: 10 })!;
    const start = fields.integer('start', { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 1 })!;
    const rows = await services.machines.list({
      count, start, name: fields.string('name', { maxLength: 255 }), domain: fields.string('domain', { maxLength: 255 }),
      ipAddress: fields.string('ipAddress', { maxLength: 64 }),
    });
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, rows, count, start, (m) => machineToWire(m, services.scans.consoleName, links));
  });

  app.get('/machines/:machineId', { schema: { response: { 200: MachineWire } } }, async (request) => {
    const id = machineId(request);
    const machine = await services.machines.get(id);
    if (!machine) throw notFound(id);
    return machineToWire(machine, services.scans.consoleName, new LinkBuilder(request, services.publicUrl));
  });

  app.delete('/machines/:machineId', async (request, reply) => {
    const id = machineId(request);
    if (!(await services.machines.delete(id))) throw notFound(id);
    return reply.code(204).send();
  });
}
