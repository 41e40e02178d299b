import { useEffect, useState } from 'react';
import type { ApiError } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LoadingRow } from '../../components/Spinner';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { formatInt } from '../../components/format';
import { useStreamsStore, type GroupDescription, type GroupSummary, type ResetResult } from '../../stores/streams';
import { ConfirmAction } from './Confirm';
import { checkReset, type FieldErrors, type ResetDraft, type ResetKind } from './forms';
import { selectStreamsPath } from './path';

const stateTone = (s: string): Tone => (s === 'Stable' ? 'ok' : s === 'Empty' ? 'muted' : s === 'Dead' ? 'bad' : 'warn');

const groupColumns: Column<GroupSummary>[] = [
  { key: 'group', header: 'Group', minWidth: 180, render: (g) => <span className="strong dt-text">{g.group}</span> },
  { key: 'state', header: 'State', width: 110, render: (g) => <StatusBadge status={g.state} tone={stateTone(g.state)} /> },
  { key: 'members', header: 'Members', align: 'right', width: 90 },
  { key: 'topics', header: 'Topics', minWidth: 160, value: (g) => g.topics.join(', ') },
  {
    key: 'lag',
    header: 'Lag',
    align: 'right',
    width: 100,
    title: 'Messages written but not yet committed by the group, summed over partitions',
    render: (g) => (
      <span className={g.lag > 0 ? 'text-warn' : undefined} data-testid="group-lag">
        {formatInt(g.lag)}
      </span>
    ),
  },
];

type OffsetRow = GroupDescription['offsets'][number];
type MemberRow = GroupDescription['members'][number];

const offsetColumns: Column<OffsetRow>[] = [
  { key: 'topic', header: 'Topic', minWidth: 150 },
  { key: 'partition', header: 'Part.', align: 'right', width: 70 },
  { key: 'committed', header: 'Committed', align: 'right', width: 110, render: (o) => (o.committed === null ? <span className="muted">none</span> : formatInt(o.committed)) },
  { key: 'low', header: 'Low', align: 'right', width: 90 },
  { key: 'high', header: 'High', align: 'right', width: 90 },
  {
    key: 'lag',
    header: 'Lag',
    align: 'right',
    width: 90,
    render: (o) => (o.lag === null ? <span className="muted">—</span> : <span className={o.lag > 0 ? 'text-warn' : undefined} data-testid="partition-lag">{formatInt(o.lag)}</span>),
  },
];

const memberColumns: Column<MemberRow>[] = [
  { key: 'member_id', header: 'Member', minWidth: 180 },
  { key: 'client_id', header: 'Client', width: 160 },
  { key: 'host', header: 'Host', width: 140 },
  { key: 'assignments', header: 'Partitions', minWidth: 160, value: (m) => m.assignments.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ') },
];

const RESET_LABELS: Record<ResetKind, string> = { earliest: 'Earliest', latest: 'Latest', timestamp: 'Time', offset: 'Offset' };

function ResetForm({ group }: { group: GroupDescription }) {
  const resetOffsets = useStreamsStore((s) => s.resetOffsets);
  const topics = [...new Set(group.offsets.map((o) => o.topic))];
  const [draft, setDraft] = useState<ResetDraft>({ topic: topics[0] ?? '', to: 'earliest', timestamp: '', offset: '', partitions: '' });
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<ResetResult | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const set = (patch: Partial<ResetDraft>): void => {
    setDraft((d) => ({ ...d, ...patch }));
    setPreview(null);
  };
  const checked = checkReset(group.group, draft, true);
  const errors: FieldErrors = touched ? checked.errors : {};

  const run = async (dryRun: boolean): Promise<void> => {
    setTouched(true);
    const c = checkReset(group.group, draft, dryRun);
    if (!c.input) return;
    setBusy(true);
    const r = await resetOffsets(c.input);
    setBusy(false);
    if ('code' in r) {
      setError(r);
      setPreview(null);
    } else {
      setError(null);
      setPreview(r);
    }
  };

  const active = group.state !== 'Empty' && group.state !== 'Dead';
  return (
    <div className="subform" data-testid="reset-form">
      <div className="panel-title">Reset offsets</div>
      {active ? <div className="help text-warn">The group has live members: Kafka refuses a reset until they stop (stop the processor first).</div> : null}
      <div className="form-grid">
        <label className="field">
          <span>Topic</span>
          <select value={draft.topic} onChange={(e) => set({ topic: e.target.value })} data-testid="reset-topic">
            {topics.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          {errors.topic ? <span className="field-error">{errors.topic}</span> : null}
        </label>
        <label className="field">
          <span>To</span>
          <select value={draft.to} onChange={(e) => set({ to: e.target.value as ResetKind })} data-testid="reset-to">
            {(Object.keys(RESET_LABELS) as ResetKind[]).map((k) => (
              <option key={k} value={k}>
                {RESET_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        {draft.to === 'timestamp' ? (
          <label className="field">
            <span>Time (ISO or ms)</span>
            <input value={draft.timestamp} onChange={(e) => set({ timestamp: e.target.value })} aria-invalid={!!errors.timestamp} placeholder="2026-01-31T10:00:00Z" data-testid="reset-timestamp" />
            {errors.timestamp ? <span className="field-error">{errors.timestamp}</span> : null}
          </label>
        ) : null}
        {draft.to === 'offset' ? (
          <label className="field">
            <span>Offset</span>
            <input value={draft.offset} onChange={(e) => set({ offset: e.target.value })} aria-invalid={!!errors.offset} inputMode="numeric" data-testid="reset-offset" />
            {errors.offset ? <span className="field-error" data-testid="reset-offset-error">{errors.offset}</span> : null}
          </label>
        ) : null}
        <label className="field">
          <span>Partitions</span>
          <input value={draft.partitions} onChange={(e) => set({ partitions: e.target.value })} aria-invalid={!!errors.partitions} placeholder="all" data-testid="reset-partitions" />
          {errors.partitions ? <span className="field-error">{errors.partitions}</span> : null}
        </label>
      </div>
      <div className="form-actions">
        <button type="button" className="btn btn-small" disabled={busy || (touched && !checked.input)} onClick={() => void run(true)} data-testid="reset-preview">
          Preview
        </button>
        <ConfirmAction
          label="Reset offsets…"
          question={
            <>
              Move <strong>{group.group}</strong> on <code>{draft.topic}</code> to <strong>{RESET_LABELS[draft.to].toLowerCase()}</strong>
              {draft.to === 'offset' ? ` ${draft.offset}` : draft.to === 'timestamp' ? ` ${draft.timestamp}` : ''}
              {draft.partitions.trim() ? ` on partitions ${draft.partitions}` : ' on every partition'}? The group will re-read or skip messages from there.
            </>
          }
          confirmLabel="Reset offsets"
          busy={busy}
          disabled={!checked.input}
          testId="reset-apply"
          onConfirm={() => run(false)}
        />
      </div>
      {error ? <ErrorNotice error={error} testId="reset-error" /> : null}
      {preview ? (
        <div className="section-gap" data-testid="reset-result" data-applied={preview.applied ? 'true' : 'false'}>
          <div className={preview.applied ? 'notice notice-info' : 'help'}>
            {preview.applied ? '✓ Offsets moved:' : 'Preview (nothing changed yet):'}{' '}
            {preview.offsets.map((o) => `p${o.partition} ${o.from === null ? 'none' : formatInt(o.from)} → ${formatInt(o.to)}`).join(' · ')}
          </div>
        </div>
      ) : null}
    </div>
  );
}

function GroupDetail({ name }: { name: string }) {
  const group = useStreamsStore((s) => s.group);
  const loadGroup = useStreamsStore((s) => s.loadGroup);
  useEffect(() => {
    void loadGroup(name);
  }, [name, loadGroup]);
  const g = group.data?.group === name ? group.data : null;
  return (
    <div className="group-detail section-gap" data-testid="group-detail" data-group={name}>
      <div className="group-detail-head">
        <div className="panel-title">
          Group <code>{name}</code> {g ? <StatusBadge status={g.state} tone={stateTone(g.state)} testId="group-state" /> : null}
          {g ? (
            <span className="muted" data-testid="group-total-lag" data-lag={g.lag}>
              {' '}
              · lag {formatInt(g.lag)}
            </span>
          ) : null}
        </div>
        <button type="button" className="btn btn-small" onClick={() => void loadGroup(name)} disabled={group.loading} data-testid="group-refresh">
          Refresh
        </button>
      </div>
      {group.error && !g ? <ErrorNotice error={group.error} onRetry={() => void loadGroup(name)} testId="group-error" /> : null}
      {!g && group.loading ? <LoadingRow label="Loading group" /> : null}
      {g ? (
        <>
          <DataTable
            testId="group-offsets"
            rows={g.offsets}
            columns={offsetColumns}
            rowKey={(o) => `${o.topic}:${o.partition}`}
            rowTestId={(o) => `group-offset-${o.topic}-${o.partition}`}
            noun="partitions"
            maxHeight={260}
            empty={<>The group has committed no offsets yet.</>}
          />
          <div className="panel-title section-gap">Members</div>
          <DataTable
            testId="group-members"
            rows={g.members}
            columns={memberColumns}
            rowKey={(m) => m.member_id}
            filter={false}
            columnChooser={false}
            noun="members"
            maxHeight={200}
            empty={<>No members: nothing is consuming with this group now (its offsets can be reset).</>}
          />
          {g.offsets.length > 0 ? <ResetForm key={g.group} group={g} /> : null}
        </>
      ) : null}
    </div>
  );
}

/** `topic` is the topic on screen, kept in the link when a group is chosen so the link reopens both. */
export function GroupsCard({ selected, topic }: { selected: string | null; topic: string | null }) {
  const groups = useStreamsStore((s) => s.groups);
  const refreshGroups = useStreamsStore((s) => s.refreshGroups);
  const rows = groups.data ?? [];
  return (
    <Card
      title="Consumer groups"
      subtitle="Committed offsets and lag per partition"
      testId="groups-card"
      actions={
        <button type="button" className="btn btn-small" onClick={() => void refreshGroups()} disabled={groups.loading} data-testid="groups-refresh">
          Refresh
        </button>
      }
    >
      <DataTable
        testId="groups-table"
        rows={rows}
        columns={groupColumns}
        rowKey={(g) => g.group}
        rowTestId={(g) => `group-row-${g.group}`}
        selectedKey={selected}
        onRowClick={(g) => selectStreamsPath({ topic, group: g.group })}
        loading={groups.loading}
        error={groups.error}
        onRetry={() => void refreshGroups()}
        noun="groups"
        maxHeight={260}
        empty={<>No consumer groups yet. The stream processor creates one when it starts (below).</>}
      />
      {selected ? <GroupDetail name={selected} /> : null}
    </Card>
  );
}
