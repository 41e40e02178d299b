import { useEffect, useMemo, useState } from 'react';
import { call, toApiError, type ApiError } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatInt } from '../../components/format';
import { useStreamsStore, type TopicDescription } from '../../stores/streams';
import { checkProduce, jsonProblem, schemaFields, topField, type FieldErrors, type ProduceDraft, type SchemaField } from './forms';

const blank: ProduceDraft = { key: '', headers: '', value: '', partition: '', validate: true };

interface FieldRow extends SchemaField {
  problem: string | null;
}

const fieldColumns: Column<FieldRow>[] = [
  { key: 'name', header: 'Field', width: 190, render: (f) => <code>{f.name}</code> },
  { key: 'type', header: 'Type', width: 150, render: (f) => <span className="dt-text mono-small">{f.type}</span> },
  { key: 'required', header: 'Req.', width: 60, align: 'center', value: (f) => (f.required ? 'yes' : ''), render: (f) => (f.required ? '●' : '') },
  {
    key: 'problem',
    header: 'Check',
    minWidth: 200,
    render: (f) =>
      f.problem ? (
        <span className="dt-text text-bad" title={f.problem} data-testid={`field-error-${f.name}`}>
          {f.problem}
        </span>
      ) : (
        <span className="muted">—</span>
      ),
  },
];

/** A value with the schema's required fields filled by type, as a start to edit from. */
function skeleton(fields: SchemaField[]): string {
  const v: Record<string, unknown> = {};
  for (const f of fields.filter((x) => x.required)) v[f.name] = f.type.startsWith('number') || f.type.startsWith('integer') ? 0 : f.type.startsWith('boolean') ? false : '';
  return JSON.stringify(v, null, 2);
}

export function ProduceCard({ topic }: { topic: TopicDescription }) {
  const produce = useStreamsStore((s) => s.produce);
  const produceMessages = useStreamsStore((s) => s.produceMessages);
  const clearProduce = useStreamsStore((s) => s.clearProduce);
  const [draft, setDraft] = useState<ProduceDraft>(blank);
  const [touched, setTouched] = useState(false);
  const [templateError, setTemplateError] = useState<ApiError | null>(null);
  const checked = checkProduce(topic.name, draft);
  const localErrors: FieldErrors = touched ? checked.errors : {};
  const set = (patch: Partial<ProduceDraft>): void => setDraft((d) => ({ ...d, ...patch }));
  const valueProblem = jsonProblem(draft.value);
  const fields = useMemo(() => schemaFields(topic.schema?.json_schema ?? null), [topic.schema]);

  useEffect(() => {
    clearProduce();
    setDraft(blank);
    setTouched(false);
  }, [topic.name, clearProduce]);

  // Server problems keyed by their top-level field, so each lands on its row in the field list.
  const problemsByField = useMemo(() => {
    const m = new Map<string, string>();
    for (const p of produce.problems) {
      const f = topField(p.field);
      if (!m.has(f)) m.set(f, p.field === f ? p.message : `${p.field}: ${p.message}`);
    }
    return m;
  }, [produce.problems]);
  const fieldRows: FieldRow[] = fields.map((f) => ({ ...f, problem: problemsByField.get(f.name) ?? null }));
  const otherProblems = produce.problems.filter((p) => !fields.some((f) => f.name === topField(p.field)));

  const submit = async (): Promise<void> => {
    setTouched(true);
    if (!checked.input) return;
    await produceMessages(checked.input);
  };

  const fromNewest = async (): Promise<void> => {
    setTemplateError(null);
    try {
      const r = await call('streams.browse', { topic: topic.name, from: 'latest', limit: 1 });
      const m = r.messages[0];
      if (!m) {
        setTemplateError(toApiError(new Error(`${topic.name} has no message to copy yet; start from the schema skeleton`)));
        return;
      }
      set({ key: m.key ?? '', value: m.encoding === 'json' && m.value !== null ? JSON.stringify(JSON.parse(m.value), null, 2) : (m.value ?? '') });
    } catch (err) {
      setTemplateError(toApiError(err));
    }
  };

  const last = produce.last?.topic === topic.name ? produce.last : null;

  return (
    <Card
      title="Produce"
      subtitle={topic.schema ? `Checked against “${topic.schema.title}” before anything is written` : 'This topic has no schema: any value is accepted'}
      testId="produce-card"
      actions={
        <>
          {fields.length > 0 ? (
            <button type="button" className="btn btn-small" onClick={() => set({ value: skeleton(fields) })} data-testid="produce-skeleton">
              Skeleton from schema
            </button>
          ) : null}
          <button type="button" className="btn btn-small" onClick={() => void fromNewest()} data-testid="produce-from-newest">
            Copy newest message
          </button>
        </>
      }
    >
      <div className="produce-grid">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
          noValidate
          data-testid="produce-form"
        >
          <div className="form-grid form-grid-2">
            <label className="field">
              <span>Key</span>
              <input value={draft.key} onChange={(e) => set({ key: e.target.value })} placeholder="none (sticky partition)" data-testid="produce-key" />
            </label>
            <label className="field">
              <span>Partition</span>
              <input value={draft.partition} onChange={(e) => set({ partition: e.target.value })} aria-invalid={!!localErrors.partition} placeholder={`by key (0–${topic.partitions - 1})`} data-testid="produce-partition" />
              {localErrors.partition ? <span className="field-error">{localErrors.partition}</span> : null}
            </label>
          </div>
          <label className="field section-gap">
            <span>Value (JSON)</span>
            <textarea
              className="code-input"
              rows={10}
              spellCheck={false}
              value={draft.value}
              onChange={(e) => set({ value: e.target.value })}
              aria-invalid={!!(localErrors.value || (topic.schema && valueProblem))}
              placeholder={topic.schema ? '{ "trip_id": "…", … }' : 'JSON, or any text'}
              data-testid="produce-value"
            />
            {localErrors.value ? <span className="field-error">{localErrors.value}</span> : null}
            {valueProblem ? (
              <span className={topic.schema ? 'field-error' : 'help'} data-testid="produce-json-problem">
                {topic.schema ? `Not JSON yet: ${valueProblem}` : `Not JSON: it will be sent as text (${valueProblem})`}
              </span>
            ) : null}
          </label>
          <label className="field section-gap">
            <span>Headers (one name=value per line)</span>
            <textarea className="code-input" rows={2} spellCheck={false} value={draft.headers} onChange={(e) => set({ headers: e.target.value })} aria-invalid={!!localErrors.headers} data-testid="produce-headers" />
            {localErrors.headers ? <span className="field-error">{localErrors.headers}</span> : null}
          </label>
          <div className="form-actions">
            <button type="submit" className="btn btn-primary btn-small" disabled={produce.busy} data-testid="produce-submit">
              {produce.busy ? 'Producing…' : 'Produce'}
            </button>
            {topic.schema ? (
              <label className="check small" title="Off: write the bytes as they are, e.g. to test the processor's dead-letter path">
                <input type="checkbox" checked={draft.validate} onChange={(e) => set({ validate: e.target.checked })} data-testid="produce-validate" /> check schema
              </label>
            ) : null}
            {last ? (
              <span className="produce-ok" data-testid="produce-result" data-partition={last.offsets[0]?.partition} data-offset={last.offsets[0]?.offset}>
                ✓ written to partition {last.offsets[0]?.partition} at offset {formatInt(last.offsets[0]?.offset ?? 0)}
              </span>
            ) : null}
          </div>
          {templateError ? <ErrorNotice error={templateError} testId="produce-template-error" /> : null}
          {produce.error ? <ErrorNotice error={produce.error} testId="produce-error" /> : null}
          {otherProblems.length > 0 ? (
            <ul className="problems" data-testid="produce-other-problems">
              {otherProblems.map((p) => (
                <li key={`${p.field}:${p.message}`}>
                  <code>{p.field}</code> {p.message}
                </li>
              ))}
            </ul>
          ) : null}
        </form>
        <div>
          <div className="panel-title">
            Schema {topic.schema ? <code>{topic.schema.title}</code> : null}
            {produce.problems.length > 0 ? (
              <span className="text-bad" data-testid="produce-problem-count">
                {' '}
                · {produce.problems.length} problem{produce.problems.length > 1 ? 's' : ''}
              </span>
            ) : null}
          </div>
          {topic.schema ? (
            <>
              <p className="help">{topic.schema.description}</p>
              <DataTable
                testId="schema-fields"
                rows={fieldRows}
                columns={fieldColumns}
                rowKey={(f) => f.name}
                rowTestId={(f) => `schema-field-${f.name}`}
                rowClassName={(f) => (f.problem ? 'row-problem' : undefined)}
                filterPlaceholder="Find a field…"
                columnChooser={false}
                maxHeight={330}
                noun="fields"
                empty={<>The schema has no top-level fields (e.g. a dead letter: only its headers are checked).</>}
              />
            </>
          ) : (
            <div className="empty">No schema on this topic. Platform topics each have one; topics you create accept any bytes.</div>
          )}
        </div>
      </div>
    </Card>
  );
}
