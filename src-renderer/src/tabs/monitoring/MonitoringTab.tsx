import { Placeholder } from '../../components/Placeholder';

export function MonitoringTab() {
  return (
    <Placeholder
      tab="monitoring"
      title="Monitoring"
      summary="Drift, data quality and model performance in Evidently’s terms, plus the health and load of this instance."
      planned={[
        { name: 'Data drift', what: 'Per-feature and dataset drift (KS, chi-square, Wasserstein, Jensen-Shannon, PSI).' },
        { name: 'Data quality', what: 'Missing values, out-of-range values, duplicates and schema checks.' },
        { name: 'Model performance', what: 'Error over time windows once actual fares arrive, model drift and A/B comparison.' },
        { name: 'Operations', what: 'Latency, throughput and error rate of the app’s operations; CPU, memory and disk.' },
        { name: 'Alerts', what: 'Alert rules and their firings, also published to taxi-alerts.' },
      ]}
    />
  );
}
