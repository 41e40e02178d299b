/**
 * streams.db: the embedded log. Append migrations; never edit a shipped one.
 *
 * Messages are clustered by (topic, partition, offset) so a partition reads as one range scan. There is
 * no per-message time index: like Kafka, `time_index` holds one entry per appended batch with the
 * running maximum timestamp of the partition, which finds "first offset at or after time T" with one
 * seek and a short scan, and tells time retention which prefix of the log has expired.
 */
import type { Migration } from '../../../platform/db/sqlite.js';

export const STREAMS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'topics, partitions, messages, time index, consumer groups',
    up: (db) => {
      db.exec(`
        CREATE TABLE topics (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL UNIQUE,
          partitions INTEGER NOT NULL,
          replication_factor INTEGER NOT NULL,
          retention_ms INTEGER,
          retention_bytes INTEGER,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE partitions (
          topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
          partition INTEGER NOT NULL,
          low INTEGER NOT NULL DEFAULT 0,
          high INTEGER NOT NULL DEFAULT 0,
          bytes INTEGER NOT NULL DEFAULT 0,
          max_ts INTEGER,
          PRIMARY KEY (topic_id, partition)
        ) WITHOUT ROWID;
        CREATE TABLE messages (
          topic_id INTEGER NOT NULL,
          partition INTEGER NOT NULL,
          offset INTEGER NOT NULL,
          ts INTEGER NOT NULL,
          key TEXT,
          value BLOB,
          headers TEXT,
          size INTEGER NOT NULL,
          PRIMARY KEY (topic_id, partition, offset)
        ) WITHOUT ROWID;
        CREATE TABLE time_index (
          topic_id INTEGER NOT NULL,
          partition INTEGER NOT NULL,
          base_offset INTEGER NOT NULL,
          max_ts INTEGER NOT NULL,
          PRIMARY KEY (topic_id, partition, base_offset)
        ) WITHOUT ROWID;
        CREATE INDEX time_index_ts ON time_index(topic_id, partition, max_ts);
        CREATE TABLE groups (
          group_id TEXT PRIMARY KEY,
          generation INTEGER NOT NULL DEFAULT 0,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE group_members (
          group_id TEXT NOT NULL,
          member_id TEXT NOT NULL,
          client_id TEXT NOT NULL,
          host TEXT NOT NULL,
          topics TEXT NOT NULL,
          joined_at INTEGER NOT NULL,
          heartbeat_at INTEGER NOT NULL,
          session_timeout_ms INTEGER NOT NULL,
          PRIMARY KEY (group_id, member_id)
        ) WITHOUT ROWID;
        CREATE TABLE group_offsets (
          group_id TEXT NOT NULL,
          topic TEXT NOT NULL,
          partition INTEGER NOT NULL,
          offset INTEGER NOT NULL,
          committed_at INTEGER NOT NULL,
          PRIMARY KEY (group_id, topic, partition)
        ) WITHOUT ROWID;
      `);
    },
  },
];
