/**
 * A server that answers `GET /page` with one file's bytes as JSON, and nothing else: the ceiling
 * any listing of that size can reach on this machine, with no store, no auth and no building.
 * bench/pm-patches-query.ts starts it in its own process beside the console.
 *
 *   node --import tsx bench/constant-answer-server.ts FILE
 *
 * Prints `listening on URL` once it listens; stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const file = process.argv[2];
if (!file) {
  console.error('usage: constant-answer-server.ts FILE');
  process.exit(2);
}
const page = readFileSync(file);
const app = Fastify();
app.get('/page', (_request, reply) => {
  void reply.type('application/json; charset=utf-8').send(page);
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${url}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
