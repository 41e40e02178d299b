/**
 * app.db: the app's own state (job history, import history). Append migrations; never edit a shipped one.
 */
import type { Migration } from './sqlite.js';

export const APP_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'jobs history',
    up: (db) => {
      db.exec(`
        CREATE TABLE jobs (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          title TEXT NOT NULL,
          status TEXT NOT NULL,
          input TEXT NOT NULL,
          progress TEXT NOT NULL,
          result TEXT,
          error TEXT,
          created_at TEXT NOT NULL,
          started_at TEXT,
          finished_at TEXT
        );
        CREATE INDEX jobs_created ON jobs(created_at DESC);
      `);
    },
  },
  {
    version: 2,
    description: 'job log lines and import history',
    up: (db) => {
      db.exec(`
        CREATE TABLE job_logs (
          job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
          at TEXT NOT NULL,
          level TEXT NOT NULL,
          message TEXT NOT NULL
        );
        CREATE INDEX job_logs_job ON job_logs(job_id, at);
        CREATE TABLE imports (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          job_id TEXT,
          source TEXT NOT NULL,
          file TEXT NOT NULL,
          layout TEXT NOT NULL,
          rows_read INTEGER NOT NULL,
          rows_accepted INTEGER NOT NULL,
          rows_rejected INTEGER NOT NULL,
          rows_written INTEGER NOT NULL,
          rejects_file TEXT,
          finished_at TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 3,
    description: 'feature materialization: watermark per view and run history',
    up: (db) => {
      db.exec(`
        CREATE TABLE feature_watermarks (
          view TEXT PRIMARY KEY,
          watermark_ms INTEGER NOT NULL,
          run_id INTEGER,
          updated_at TEXT NOT NULL
        );
        CREATE TABLE feature_materializations (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          batch_id TEXT NOT NULL,
          mode TEXT NOT NULL,
          view TEXT NOT NULL,
          start_ms INTEGER NOT NULL,
          end_ms INTEGER NOT NULL,
          rows INTEGER NOT NULL DEFAULT 0,
          written INTEGER NOT NULL DEFAULT 0,
          status TEXT NOT NULL,
          error TEXT,
          pid INTEGER,
          started_at TEXT NOT NULL,
          finished_at TEXT
        );
        CREATE INDEX feature_materializations_view ON feature_materializations(view, id DESC);
      `);
    },
  },
  {
    version: 4,
    description: 'monitoring: alert states with history and acknowledgement',
    up: (db) => {
      db.exec(`
        CREATE TABLE monitoring_alerts (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          rule TEXT NOT NULL,
          severity TEXT NOT NULL,
          state TEXT NOT NULL,
          message TEXT NOT NULL,
          value REAL,
          threshold REAL,
          labels TEXT,
          fired_at TEXT NOT NULL,
          resolved_at TEXT,
          acknowledged_at TEXT,
          acknowledged_by TEXT
        );
        CREATE INDEX monitoring_alerts_rule ON monitoring_alerts(rule, id DESC);
        CREATE INDEX monitoring_alerts_state ON monitoring_alerts(state, id DESC);
        CREATE TABLE monitoring_alert_events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          alert_id INTEGER NOT NULL REFERENCES monitoring_alerts(id),
          rule TEXT NOT NULL,
          event TEXT NOT NULL,
          value REAL,
          at TEXT NOT NULL
        );
        CREATE INDEX monitoring_alert_events_alert ON monitoring_alert_events(alert_id, id);
      `);
    },
  },
];
