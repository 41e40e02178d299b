/**
 * Drift report exports on `taxi-mlops serve`:
 *   GET /reports/<id>.html  the self-contained HTML report (inline SVG charts, nothing fetched)
 *   GET /reports/<id>.json  the report as JSON (the same as monitoring.report)
 */
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { httpStatusOf } from '../http.js';
import { errorShape } from '../../platform/errors.js';
import type { Services } from '../../platform/services.js';

export function registerReportRoutes(app: FastifyInstance, s: Services): void {
  app.get<{ Params: { file: string } }>('/reports/:file', async (req, reply) => {
    const m = /^(.+)\.(html|json)$/.exec(req.params.file);
    if (!m) return reply.code(404).send({ code: 'NOT_FOUND', message: `no such report file ${req.params.file}; use /reports/<id>.html or /reports/<id>.json` });
    try {
      const { reportFile } = await import('../../engines/monitoring/reports.js');
      const file = reportFile(s.workspace, m[1]!, m[2] as 'html' | 'json');
      const body = fs.readFileSync(file);
      return reply
        .header('content-type', m[2] === 'html' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8')
        // The page carries no scripts; forbid any so a tampered file cannot run code on the console's origin.
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
        .send(body);
    } catch (e) {
      const err = errorShape(e);
      return reply.code(httpStatusOf(err.code)).send(err);
    }
  });
}
