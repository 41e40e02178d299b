import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ApiError } from '../../api/client';
import { Card } from '../../components/Card';
import { Field } from '../../components/Field';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useSettingsStore, type ProfileView } from '../../stores/settings';
import { blankDraft, checkDraft, defaultSecretName, draftOf, secretsOf, type Draft, type FieldErrors, type SecretSlot } from './profileForm';
import { TestResults } from './TestResults';

type SetDraft = (patch: Partial<Draft>) => void;

function SecretField({ slot, label, draft, setDraft, saved, writable }: { slot: SecretSlot; label: string; draft: Draft; setDraft: SetDraft; saved: ProfileView | undefined; writable: boolean }) {
  const s = draft.secrets[slot];
  const name = s.name.trim() || defaultSecretName(draft.name, slot);
  const status = saved?.secrets.find((x) => x.name === name);
  const set = (patch: Partial<Draft['secrets'][SecretSlot]>): void => setDraft({ secrets: { ...draft.secrets, [slot]: { ...s, ...patch } } });
  return (
    <div className="secret-field" data-testid={`secret-${slot}`}>
      <label className="check small">
        <input type="checkbox" checked={s.enabled} onChange={(e) => set({ enabled: e.target.checked })} data-testid={`secret-${slot}-enabled`} />
        {label}
      </label>
      {s.enabled ? (
        <div className="secret-inputs">
          <span className={`tag ${status?.status === 'set' ? 'tag-ok' : 'tag-bad'}`} data-testid={`secret-${slot}-status`} data-status={status?.status ?? 'not_set'} title={status?.source ? `from ${status.source}` : undefined}>
            {status?.status === 'set' ? `set${status.source ? ` (${status.source})` : ''}` : 'not set'}
          </span>
          <input
            type="password"
            autoComplete="new-password"
            placeholder={status?.status === 'set' ? 'new value (empty keeps the stored one)' : 'value'}
            value={s.value}
            disabled={!writable || s.clear}
            onChange={(e) => set({ value: e.target.value })}
            data-testid={`secret-${slot}-value`}
          />
          <input className="secret-name" value={s.name} placeholder={defaultSecretName(draft.name, slot)} onChange={(e) => set({ name: e.target.value })} title="Name of the secret in the keychain" data-testid={`secret-${slot}-name`} />
          {status?.status === 'set' && writable ? (
            <label className="check small">
              <input type="checkbox" checked={s.clear} onChange={(e) => set({ clear: e.target.checked, value: '' })} /> remove stored value
            </label>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

type BackendKey = 'onlineType' | 'busType' | 'registryType';
const FILE_OF = { onlineType: 'onlinePath', busType: 'busPath', registryType: 'registryPath' } as const;

const ONLINE_TYPES: [Draft['onlineType'], string][] = [
  ['sqlite', 'SQLite (embedded)'],
  ['redis', 'Redis'],
];
const BUS_TYPES: [Draft['busType'], string][] = [
  ['local', 'Embedded log'],
  ['kafka', 'Kafka'],
];
const REGISTRY_TYPES: [Draft['registryType'], string][] = [
  ['sqlite', 'SQLite (embedded)'],
  ['mlflow', 'MLflow tracking server'],
];

/**
 * A profile section: the backend's type, then the embedded backend's file (for the first of `types`) or the
 * service's own fields (`children`), then the section's secret.
 */
function BackendSection<K extends BackendKey>({
  legend,
  backend,
  types,
  testId,
  draft,
  setDraft,
  errors,
  secret,
  children,
}: {
  legend: string;
  backend: K;
  types: [Draft[K], string][];
  testId: string;
  draft: Draft;
  setDraft: SetDraft;
  errors: FieldErrors;
  secret: ReactNode;
  children: ReactNode;
}) {
  const file = FILE_OF[backend];
  return (
    <fieldset className="profile-section">
      <legend>{legend}</legend>
      <div className="form-grid">
        <Field label="Type">
          <select value={draft[backend]} onChange={(e) => setDraft({ [backend]: e.target.value } as Partial<Draft>)} data-testid={testId}>
            {types.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        {draft[backend] === types[0]![0] ? (
          <Field label="File" error={errors[file]}>
            <input value={draft[file]} onChange={(e) => setDraft({ [file]: e.target.value })} />
          </Field>
        ) : (
          children
        )}
      </div>
      {secret}
    </fieldset>
  );
}

export function ProfileEditor() {
  const editing = useSettingsStore((s) => s.editing);
  const list = useSettingsStore((s) => s.profiles.data);
  const save = useSettingsStore((s) => s.save);
  const remove = useSettingsStore((s) => s.remove);
  const test = useSettingsStore((s) => s.test);
  const edit = useSettingsStore((s) => s.edit);
  const saved = useMemo(() => list?.profiles.find((p) => p.name === editing), [list, editing]);
  const [draft, setDraftState] = useState<Draft>(() => (saved ? draftOf(saved.name, saved.profile) : blankDraft()));
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [savedAt, setSavedAt] = useState<number | null>(null);

  // A different profile opened (or the saved one changed on the server): start from what is saved.
  const savedKey = saved ? JSON.stringify(saved.profile) : '';
  useEffect(() => {
    setDraftState(saved ? draftOf(saved.name, saved.profile) : blankDraft());
    setTouched(false);
    setError(null);
    setSavedAt(null);
  }, [editing, savedKey]);

  if (editing === null) return null;
  const isNew = !saved;
  const writable = list?.secret_store.writable ?? false;
  const checked = checkDraft(draft, saved?.profile);
  const errors = touched ? checked.errors : {};
  const setDraft: SetDraft = (patch) => {
    setDraftState((d) => ({ ...d, ...patch }));
    setSavedAt(null);
  };

  const submit = async (): Promise<void> => {
    setTouched(true);
    if (!checked.profile) return;
    if (!isNew || !list?.profiles.some((p) => p.name === draft.name) || window.confirm(`Replace profile ${draft.name}?`)) {
      setBusy(true);
      const err = await save({ name: draft.name, profile: checked.profile, secrets: secretsOf(draft) });
      setBusy(false);
      setError(err);
      if (!err) {
        setSavedAt(Date.now());
        setDraftState((d) => ({ ...d, secrets: Object.fromEntries(Object.entries(d.secrets).map(([k, v]) => [k, { ...v, value: '', clear: false }])) as Draft['secrets'] }));
        if (isNew) edit(draft.name);
      }
    }
  };

  const draftKey = `draft:${draft.name || 'new'}`;
  const form = { draft, setDraft, errors };
  const secret = { draft, setDraft, saved, writable };
  return (
    <Card
      title={isNew ? 'New profile' : `Edit profile ${saved.name}`}
      subtitle={list?.secret_store.hint}
      testId="profile-editor"
      actions={
        <button type="button" className="btn btn-small btn-ghost" onClick={() => edit(null)} aria-label="Close the editor">
          Close
        </button>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        data-testid="profile-form"
      >
        <div className="form-grid">
          <Field label="Name" error={errors.name}>
            <input value={draft.name} disabled={!isNew} onChange={(e) => setDraft({ name: e.target.value })} aria-invalid={!!errors.name} data-testid="profile-name" />
          </Field>
          <Field label="Kind">
            <select value={draft.kind} onChange={(e) => setDraft({ kind: e.target.value as Draft['kind'] })} data-testid="profile-kind">
              <option value="embedded">embedded</option>
              <option value="cluster">cluster</option>
            </select>
          </Field>
          <Field label="Description">
            <input value={draft.description} onChange={(e) => setDraft({ description: e.target.value })} />
          </Field>
        </div>
        <BackendSection {...form} legend="Online store" backend="onlineType" types={ONLINE_TYPES} testId="online-type" secret={draft.onlineType === 'redis' ? <SecretField slot="redis" label="Password" {...secret} /> : null}>
          <Field label="Redis URL" error={errors.redisUrl} hint="redis://host:port[,host:port…][/db]; rediss:// for TLS">
            <input value={draft.redisUrl} onChange={(e) => setDraft({ redisUrl: e.target.value })} aria-invalid={!!errors.redisUrl} data-testid="redis-url" />
          </Field>
          <Field label="Mode">
            <select value={draft.redisMode} onChange={(e) => setDraft({ redisMode: e.target.value as Draft['redisMode'] })}>
              <option value="standalone">standalone</option>
              <option value="cluster">cluster</option>
              <option value="sentinel">sentinel</option>
            </select>
          </Field>
          <label className="check small align-end">
            <input type="checkbox" checked={draft.redisTls} onChange={(e) => setDraft({ redisTls: e.target.checked })} /> TLS
          </label>
        </BackendSection>
        <BackendSection {...form} legend="Stream bus" backend="busType" types={BUS_TYPES} testId="bus-type" secret={draft.busType === 'kafka' && draft.saslMechanism ? <SecretField slot="kafka" label="SASL password" {...secret} /> : null}>
          <Field label="Brokers" error={errors.brokers} hint="host:port, comma-separated">
            <input value={draft.brokers} onChange={(e) => setDraft({ brokers: e.target.value })} aria-invalid={!!errors.brokers} data-testid="kafka-brokers" />
          </Field>
          <Field label="Client id">
            <input value={draft.clientId} onChange={(e) => setDraft({ clientId: e.target.value })} />
          </Field>
          <Field label="SASL">
            <select
              value={draft.saslMechanism}
              onChange={(e) => {
                const saslMechanism = e.target.value as Draft['saslMechanism'];
                setDraft({ saslMechanism, secrets: { ...draft.secrets, kafka: { ...draft.secrets.kafka, enabled: saslMechanism !== '' } } });
              }}
            >
              <option value="">none</option>
              <option value="plain">PLAIN</option>
              <option value="scram-sha-256">SCRAM-SHA-256</option>
              <option value="scram-sha-512">SCRAM-SHA-512</option>
            </select>
          </Field>
          {draft.saslMechanism ? (
            <Field label="SASL user" error={errors.saslUser}>
              <input value={draft.saslUser} onChange={(e) => setDraft({ saslUser: e.target.value })} aria-invalid={!!errors.saslUser} />
            </Field>
          ) : null}
          <label className="check small align-end">
            <input type="checkbox" checked={draft.kafkaTls} onChange={(e) => setDraft({ kafkaTls: e.target.checked })} /> TLS
          </label>
        </BackendSection>
        <BackendSection {...form} legend="Model registry" backend="registryType" types={REGISTRY_TYPES} testId="registry-type" secret={draft.registryType === 'mlflow' ? <SecretField slot="mlflow" label="Token" {...secret} /> : null}>
          <Field label="Tracking URI" error={errors.mlflowUri}>
            <input value={draft.mlflowUri} onChange={(e) => setDraft({ mlflowUri: e.target.value })} aria-invalid={!!errors.mlflowUri} data-testid="mlflow-uri" />
          </Field>
        </BackendSection>
        {errors.form ? <div className="field-error">{errors.form}</div> : null}
        {error ? <ErrorNotice error={error} testId="profile-save-error" /> : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="profile-save">
            {busy ? 'Saving…' : 'Save'}
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => {
              setTouched(true);
              if (checked.profile) void test(draftKey, checked.profile);
            }}
            title="Connect with these settings before saving them (stored secrets are used)"
            data-testid="profile-test-draft"
          >
            Test these settings
          </button>
          {!isNew && !saved.active ? (
            <button
              type="button"
              className="btn btn-danger"
              onClick={() => {
                if (window.confirm(`Delete profile ${saved.name} from config.yaml?`)) void remove(saved.name).then(setError);
              }}
              data-testid="profile-delete"
            >
              Delete
            </button>
          ) : null}
          {savedAt ? (
            <span className="muted" data-testid="profile-saved">
              Saved to config.yaml{saved?.active ? ' — engines reconnected' : ''}.
            </span>
          ) : null}
        </div>
      </form>
      <TestResults name={draftKey} />
    </Card>
  );
}
