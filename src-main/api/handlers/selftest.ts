import fs from 'node:fs';
import path from 'node:path';
import type { HandlersFor } from '../handler-types.js';
import { SelftestReportSchema, type selftestMethods } from '../methods/selftest.js';
import { AppError } from '../../platform/errors.js';

export const selftestHandlers: HandlersFor<keyof typeof selftestMethods> = {
  'system.selftest': (i, s) => s.jobs.start('system.selftest', i),
  'jobs.logs': async (i, s) => ({ id: i.id, lines: s.jobs.logs(i.id, i.limit) }),
  'system.selftest.report': async (_i, s) => {
    const file = path.join(s.workspace.paths.logsDir, 'integration_test_report.json');
    if (!fs.existsSync(file)) return null;
    const parsed = SelftestReportSchema.safeParse(JSON.parse(await fs.promises.readFile(file, 'utf8')));
    if (!parsed.success) throw new AppError('INVALID_FILE', `${file} is not a self-test report: ${parsed.error.issues[0]?.message ?? ''}`, { file });
    return parsed.data;
  },
};
