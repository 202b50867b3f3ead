import type { FastifyInstance } from 'fastify';
import type { ConsoleServices } from '../console-services.js';

export function registerAssetRoutes(app: FastifyInstance, services: ConsoleServices): void {
  void app;
  void services;
}
