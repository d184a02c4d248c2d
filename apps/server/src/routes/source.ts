// Who made a request, for the command log: the web app says `x-nslab-source: ui`; scripts are `api`.
import type { FastifyRequest } from 'fastify';
import type { CommandSource } from '@nslab/protocol';

const SOURCES = new Set(['ui', 'api', 'cli', 'lab']);

export function sourceOf(req: FastifyRequest): CommandSource {
  const h = req.headers['x-nslab-source'];
  return typeof h === 'string' && SOURCES.has(h) ? (h as CommandSource) : 'api';
}
