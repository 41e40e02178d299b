/** Experiments of the registry; a row opens its runs. */
import { useMemo } from 'react';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { formatTime } from '../../components/format';
import { useModelsStore, type Experiment } from '../../stores/models';
import { TrainFirst } from './OverviewSection';
import { goToModels, modelsHref } from './path';

const iso = (ms: number): string => new Date(ms).toISOString();
const note = (e: Experiment): string => e.tags.find((t) => t.key === 'mlflow.note.content')?.value ?? '';

export function ExperimentsSection() {
  const experiments = useModelsStore((s) => s.experiments);
  const refresh = useModelsStore((s) => s.refreshExperiments);

  const columns = useMemo<Column<Experiment>[]>(
    () => [
      { key: 'experiment_id', header: 'ID', width: 80 },
      { key: 'name', header: 'Name', render: (e) => <a href={modelsHref('runs', e.experiment_id)}>{e.name}</a> },
      { key: 'note', header: 'Description', value: note },
      { key: 'artifact_location', header: 'Artifacts', hidden: true },
      { key: 'created', header: 'Created', width: 190, value: (e) => e.creation_time, render: (e) => formatTime(iso(e.creation_time)) },
      { key: 'updated', header: 'Updated', width: 190, value: (e) => e.last_update_time, render: (e) => formatTime(iso(e.last_update_time)) },
    ],
    [],
  );

  return (
    <Card title="Experiments" subtitle="Each training run is logged to an experiment; open one to search its runs" testId="experiments-card">
      <DataTable
        testId="experiments"
        rows={experiments.data ?? []}
        columns={columns}
        rowKey={(e) => e.experiment_id}
        rowTestId={() => 'experiment-row'}
        onRowClick={(e) => goToModels('runs', e.experiment_id)}
        empty={<TrainFirst testId="experiments-empty" />}
        loading={experiments.loading && !experiments.data}
        error={experiments.error}
        onRetry={() => void refresh()}
        storageKey="models.experiments"
        noun="experiments"
      />
    </Card>
  );
}
