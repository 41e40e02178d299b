/**
 * Consumer groups of the embedded log: members with heartbeats, a generation that changes whenever the
 * membership does, committed offsets. Every member computes the same assignment from the member list
 * (partition p of a topic goes to the (p mod n)-th subscribed member by id), and a commit is accepted
 * only from a member of the current generation — a member that lost a partition in a rebalance cannot
 * move its offset, so the new owner sees everything that was not committed (at least once).
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../../platform/db/sqlite.js';
import { AppError } from '../../../platform/errors.js';

export interface MemberRow {
  group_id: string;
  member_id: string;
  client_id: string;
  host: string;
  topics: string;
  joined_at: number;
  heartbeat_at: number;
  session_timeout_ms: number;
}

export interface JoinRequest {
  memberId: string;
  clientId: string;
  host: string;
  topics: string[];
  sessionTimeoutMs: number;
}

export interface OffsetRow {
  topic: string;
  partition: number;
  offset: number;
}

export class LocalGroups {
  private readonly stmt: {
    generation: Database.Statement<[string], { generation: number }>;
    bump: Database.Statement<[string, number]>;
    heartbeat: Database.Statement<[number, string, string]>;
    members: Database.Statement<[string], MemberRow>;
    expired: Database.Statement<[number], { group_id: string; member_id: string }>;
    removeMember: Database.Statement<[string, string]>;
    upsertOffset: Database.Statement<[string, string, number, number, number]>;
    offsets: Database.Statement<[string], OffsetRow>;
  };

  constructor(private readonly db: Db) {
    this.stmt = {
      generation: db.prepare('SELECT generation FROM groups WHERE group_id = ?'),
      bump: db.prepare(
        'INSERT INTO groups (group_id, generation, updated_at) VALUES (?, 1, ?) ON CONFLICT (group_id) DO UPDATE SET generation = generation + 1, updated_at = excluded.updated_at',
      ),
      heartbeat: db.prepare('UPDATE group_members SET heartbeat_at = ? WHERE group_id = ? AND member_id = ?'),
      members: db.prepare('SELECT * FROM group_members WHERE group_id = ? ORDER BY member_id'),
      expired: db.prepare('SELECT group_id, member_id FROM group_members WHERE heartbeat_at + session_timeout_ms < ?'),
      removeMember: db.prepare('DELETE FROM group_members WHERE group_id = ? AND member_id = ?'),
      upsertOffset: db.prepare(
        'INSERT INTO group_offsets (group_id, topic, partition, offset, committed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (group_id, topic, partition) DO UPDATE SET offset = excluded.offset, committed_at = excluded.committed_at',
      ),
      offsets: db.prepare('SELECT topic, partition, offset FROM group_offsets WHERE group_id = ? ORDER BY topic, partition'),
    };
  }

  generation(group: string): number {
    return this.stmt.generation.get(group)?.generation ?? 0;
  }

  /** Removes members whose session timed out (a crashed process) and moves their groups to a new generation. */
  expireDead(now = Date.now()): void {
    for (const m of this.stmt.expired.all(now)) {
      this.stmt.removeMember.run(m.group_id, m.member_id);
      this.stmt.bump.run(m.group_id, now);
    }
  }

  join(group: string, req: JoinRequest): number {
    return this.db
      .transaction(() => {
        const now = Date.now();
        this.expireDead(now);
        this.db
          .prepare(
            'INSERT OR REPLACE INTO group_members (group_id, member_id, client_id, host, topics, joined_at, heartbeat_at, session_timeout_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(group, req.memberId, req.clientId, req.host, JSON.stringify(req.topics), now, now, req.sessionTimeoutMs);
        this.stmt.bump.run(group, now);
        return this.generation(group);
      })
      .immediate();
  }

  /** Keeps the member alive; false when it had already been expired (it must join again). */
  heartbeat(group: string, memberId: string): boolean {
    return this.db
      .transaction(() => {
        const now = Date.now();
        const alive = this.stmt.heartbeat.run(now, group, memberId).changes > 0;
        this.expireDead(now);
        return alive;
      })
      .immediate();
  }

  leave(group: string, memberId: string): void {
    this.db
      .transaction(() => {
        if (this.stmt.removeMember.run(group, memberId).changes > 0) this.stmt.bump.run(group, Date.now());
      })
      .immediate();
  }

  members(group: string): MemberRow[] {
    return this.stmt.members.all(group);
  }

  /** Partitions of each subscribed topic this member owns, given the topics' partition counts. */
  assignment(group: string, memberId: string, partitionsOf: (topic: string) => number): Map<string, number[]> {
    return assignmentOf(this.members(group), partitionsOf).get(memberId) ?? new Map();
  }

  /** Stores the offset unless the member is stale (another generation, or gone); returns whether it was stored. */
  commit(group: string, memberId: string, generation: number, offsets: readonly OffsetRow[]): boolean {
    return this.db
      .transaction(() => {
        if (this.generation(group) !== generation) return false;
        const now = Date.now();
        for (const o of offsets) this.stmt.upsertOffset.run(group, o.topic, o.partition, o.offset, now);
        this.stmt.heartbeat.run(now, group, memberId);
        return true;
      })
      .immediate();
  }

  committed(group: string): OffsetRow[] {
    return this.stmt.offsets.all(group);
  }

  /** Sets offsets of an inactive group (reset); CONFLICT while members are active. */
  setOffsets(group: string, offsets: readonly OffsetRow[]): void {
    this.db
      .transaction(() => {
        this.requireInactive(group, 'reset its offsets');
        const now = Date.now();
        for (const o of offsets) this.stmt.upsertOffset.run(group, o.topic, o.partition, o.offset, now);
        this.stmt.bump.run(group, now);
      })
      .immediate();
  }

  remove(group: string): void {
    this.db
      .transaction(() => {
        if (!this.exists(group)) throw new AppError('NOT_FOUND', `consumer group "${group}" does not exist`, { group });
        this.requireInactive(group, 'delete it');
        this.db.prepare('DELETE FROM group_offsets WHERE group_id = ?').run(group);
        this.db.prepare('DELETE FROM groups WHERE group_id = ?').run(group);
      })
      .immediate();
  }

  exists(group: string): boolean {
    return this.stmt.generation.get(group) !== undefined || this.committed(group).length > 0;
  }

  groupIds(): string[] {
    const rows = this.db
      .prepare<[], { group_id: string }>('SELECT group_id FROM groups UNION SELECT DISTINCT group_id FROM group_offsets ORDER BY group_id')
      .all();
    return rows.map((r) => r.group_id);
  }

  private requireInactive(group: string, what: string): void {
    this.expireDead();
    const active = this.members(group);
    if (active.length > 0) {
      throw new AppError(
        'CONFLICT',
        `consumer group "${group}" has ${active.length} active member${active.length > 1 ? 's' : ''} (${active.map((m) => m.client_id).join(', ')}); stop them to ${what}`,
        { group, members: active.map((m) => m.member_id) },
      );
    }
  }
}

/** member → topic → partitions, the same on every member. */
export function assignmentOf(members: readonly MemberRow[], partitionsOf: (topic: string) => number): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>(members.map((m) => [m.member_id, new Map()]));
  const byTopic = new Map<string, string[]>();
  for (const m of members) {
    for (const t of JSON.parse(m.topics) as string[]) byTopic.set(t, [...(byTopic.get(t) ?? []), m.member_id]);
  }
  for (const [topic, ids] of byTopic) {
    const sorted = [...ids].sort();
    const n = partitionsOf(topic);
    for (let p = 0; p < n; p++) {
      const owner = out.get(sorted[p % sorted.length]!)!;
      owner.set(topic, [...(owner.get(topic) ?? []), p]);
    }
  }
  return out;
}
