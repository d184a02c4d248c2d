// Every error leaves the server as {code, message, field?}: 4xx tell the caller what to fix, 5xx
// never leak internals (the detail goes to the log only).
import type { FastifyError, FastifyInstance } from 'fastify';
import { TopologyError } from '@nslab/model';
import { isStorageFull, MissingCapabilityError, OperationError, SandboxError, StorageFullError, UnknownNodeError } from '@nslab/driver';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  [k: string]: unknown;
}

const SANDBOX_STATUS: Record<SandboxError['code'], number> = {
  LAB_EXISTS: 409,
  LAB_NOT_FOUND: 404,
  LAB_GONE: 410,
  INVALID_NAME: 400,
  NO_SLOT: 503,
  SANDBOX_FAILED: 500,
};

export function toErrorBody(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof ApiError) {
    return { status: e.statusCode, body: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}), ...e.extra } };
  }
  if (e instanceof TopologyError) {
    const first = e.issues[0];
    return {
      status: 400,
      body: { code: e.code, message: e.message, ...(first ? { field: first.field } : {}), issues: e.issues },
    };
  }
  if (e instanceof SandboxError) {
    const status = SANDBOX_STATUS[e.code];
    if (status < 500) return { status, body: { code: e.code, message: e.message } };
  }
  // 507 Insufficient Storage: the request may have been fine; the server could not record it.
  if (e instanceof StorageFullError) return { status: 507, body: { code: e.code, message: e.message } };
  if (isStorageFull(e)) return { status: 507, body: { code: 'STORAGE_FULL', message: "nslab's data disk is full: what this request changed could not be saved" } };
  if (e instanceof MissingCapabilityError) return { status: 422, body: { code: e.code, message: e.message, missing: e.missing } };
  if (e instanceof OperationError) {
    // The kernel said no: the learner's command and the kernel's words are the useful part.
    return { status: 422, body: { code: e.code, message: `${e.line}: ${e.kernelMessage}`, command: e.line, kernelMessage: e.kernelMessage, step: e.index } };
  }
  if (e instanceof Error && (e as { code?: unknown }).code === 'MISSING_TOOL') {
    return { status: 422, body: { code: 'MISSING_TOOL', message: e.message, missingTools: (e as Error & { missing: unknown }).missing } };
  }
  if (e instanceof Error && (e as { code?: unknown }).code === 'SOLUTION_FAILED') {
    return { status: 422, body: { code: 'SOLUTION_FAILED', message: e.message } };
  }
  if (e instanceof UnknownNodeError) return { status: 404, body: { code: e.code, message: e.message, field: 'node' } };
  const fe = e as FastifyError;
  if (fe && fe.validation) {
    const v = fe.validation[0];
    const path = v?.instancePath?.replace(/^\//, '').replace(/\//g, '.') ?? '';
    const missing = (v?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const extra = (v?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    const field = [fe.validationContext === 'body' ? '' : fe.validationContext, path, missing ?? extra ?? '']
      .filter(Boolean)
      .join('.');
    const message = extra ? `unknown field "${extra}"` : `${field || fe.validationContext}: ${v?.message ?? 'invalid'}`;
    return { status: 400, body: { code: 'BAD_REQUEST', message, ...(field ? { field } : {}) } };
  }
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'request bodies must be JSON (Content-Type: application/json)' } };
  }
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { code: fe.code ?? 'BAD_REQUEST', message: fe.message } };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'internal server error' } };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorBody(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
}
