/**
 * registry.db: experiments, runs (params, tags, metric histories), registered models, versions, aliases.
 * Append migrations; never edit a shipped one.
 *
 * latest_metrics keeps one row per (run, key) so that filters and order_by on metrics read an index
 * instead of scanning histories; (key, value) indexes on latest_metrics, params and tags let a
 * selective filter drive the search.
 */
import type { Migration } from '../../../platform/db/sqlite.js';

export const REGISTRY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'experiments, runs, params, tags, metrics, latest metrics',
    up: (db) => {
      db.exec(`
        CREATE TABLE experiments (
          experiment_id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          artifact_location TEXT NOT NULL,
          lifecycle_stage TEXT NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
          creation_time INTEGER NOT NULL,
          last_update_time INTEGER NOT NULL
        );
        CREATE TABLE experiment_tags (
          experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (experiment_id, key)
        ) WITHOUT ROWID;
        CREATE TABLE runs (
          run_uuid TEXT PRIMARY KEY,
          experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
          name TEXT NOT NULL,
          user_id TEXT NOT NULL,
          status TEXT NOT NULL,
          start_time INTEGER NOT NULL,
          end_time INTEGER,
          lifecycle_stage TEXT NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
          artifact_uri TEXT NOT NULL,
          deleted_time INTEGER
        );
        CREATE INDEX runs_by_experiment ON runs(experiment_id, lifecycle_stage, start_time DESC, run_uuid);
        CREATE TABLE params (
          run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (run_uuid, key)
        ) WITHOUT ROWID;
        CREATE INDEX params_by_key_value ON params(key, value);
        CREATE TABLE tags (
          run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (run_uuid, key)
        ) WITHOUT ROWID;
        CREATE INDEX tags_by_key_value ON tags(key, value);
        CREATE TABLE metrics (
          run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
          key TEXT NOT NULL,
          timestamp INTEGER NOT NULL,
          step INTEGER NOT NULL,
          value REAL NOT NULL,
          is_nan INTEGER NOT NULL,
          PRIMARY KEY (run_uuid, key, timestamp, step, value, is_nan)
        ) WITHOUT ROWID;
        CREATE TABLE latest_metrics (
          run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value REAL NOT NULL,
          timestamp INTEGER NOT NULL,
          step INTEGER NOT NULL,
          is_nan INTEGER NOT NULL,
          PRIMARY KEY (run_uuid, key)
        ) WITHOUT ROWID;
        CREATE INDEX latest_metrics_by_key_value ON latest_metrics(key, value);
      `);
      const now = Date.now();
      // MLflow's default experiment, which clients fall back to when none is set.
      db.prepare(
        `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', ?, ?)`,
      ).run(now, now);
    },
  },
  {
    version: 2,
    description: 'registered models, versions, tags, aliases',
    up: (db) => {
      db.exec(`
        CREATE TABLE registered_models (
          name TEXT PRIMARY KEY,
          creation_timestamp INTEGER NOT NULL,
          last_updated_timestamp INTEGER NOT NULL,
          description TEXT NOT NULL DEFAULT '',
          -- Version numbers are never reused, even after a version is deleted.
          next_version INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE registered_model_tags (
          name TEXT NOT NULL REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (name, key)
        ) WITHOUT ROWID;
        CREATE TABLE model_versions (
          name TEXT NOT NULL REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
          version INTEGER NOT NULL,
          creation_timestamp INTEGER NOT NULL,
          last_updated_timestamp INTEGER NOT NULL,
          user_id TEXT NOT NULL DEFAULT '',
          current_stage TEXT NOT NULL,
          description TEXT NOT NULL DEFAULT '',
          source TEXT NOT NULL,
          run_id TEXT NOT NULL DEFAULT '',
          run_link TEXT NOT NULL DEFAULT '',
          status TEXT NOT NULL,
          status_message TEXT NOT NULL DEFAULT '',
          PRIMARY KEY (name, version)
        );
        CREATE INDEX model_versions_by_run ON model_versions(run_id);
        CREATE TABLE model_version_tags (
          name TEXT NOT NULL,
          version INTEGER NOT NULL,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (name, version, key),
          FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON UPDATE CASCADE ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE TABLE registered_model_aliases (
          name TEXT NOT NULL,
          alias TEXT NOT NULL,
          version INTEGER NOT NULL,
          PRIMARY KEY (name, alias),
          FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON UPDATE CASCADE ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX registered_model_aliases_by_version ON registered_model_aliases(name, version);
      `);
    },
  },
  {
    version: 3,
    description: 'run counts per experiment and stage, kept by triggers, for choosing how to search',
    up: (db) => {
      db.exec(`
        CREATE TABLE run_counts (
          experiment_id INTEGER NOT NULL,
          lifecycle_stage TEXT NOT NULL,
          n INTEGER NOT NULL,
          PRIMARY KEY (experiment_id, lifecycle_stage)
        ) WITHOUT ROWID;
        INSERT INTO run_counts SELECT experiment_id, lifecycle_stage, COUNT(*) FROM runs GROUP BY experiment_id, lifecycle_stage;
        CREATE TRIGGER runs_counted_on_insert AFTER INSERT ON runs BEGIN
          INSERT INTO run_counts VALUES (NEW.experiment_id, NEW.lifecycle_stage, 1)
            ON CONFLICT(experiment_id, lifecycle_stage) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER runs_counted_on_move AFTER UPDATE OF experiment_id, lifecycle_stage ON runs BEGIN
          UPDATE run_counts SET n = n - 1 WHERE experiment_id = OLD.experiment_id AND lifecycle_stage = OLD.lifecycle_stage;
          INSERT INTO run_counts VALUES (NEW.experiment_id, NEW.lifecycle_stage, 1)
            ON CONFLICT(experiment_id, lifecycle_stage) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER runs_counted_on_delete AFTER DELETE ON runs BEGIN
          UPDATE run_counts SET n = n - 1 WHERE experiment_id = OLD.experiment_id AND lifecycle_stage = OLD.lifecycle_stage;
        END;
      `);
    },
  },
  {
    version: 4,
    description: 'experiment of each latest metric, so a metric index range stays inside the experiments searched',
    up: (db) => {
      // Runs never change experiment, so the copy cannot go stale.
      db.exec(`
        ALTER TABLE latest_metrics ADD COLUMN experiment_id INTEGER;
        UPDATE latest_metrics SET experiment_id = (SELECT experiment_id FROM runs WHERE runs.run_uuid = latest_metrics.run_uuid);
        CREATE INDEX latest_metrics_by_experiment ON latest_metrics(key, experiment_id, value);
      `);
    },
  },
];
