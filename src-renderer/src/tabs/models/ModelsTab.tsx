import { Placeholder } from '../../components/Placeholder';

export function ModelsTab() {
  return (
    <Placeholder
      tab="models"
      title="Models and registry"
      summary="The MLflow-like registry: experiments, runs, registered models and the serving path that predicts fares."
      planned={[
        { name: 'Experiments', what: 'Runs with params, metric histories and tags; search with MLflow’s filter grammar.' },
        { name: 'Registry', what: 'Registered models, versions, aliases (champion / challenger) and stages.' },
        { name: 'Metrics', what: 'RMSE, MAE and R² on the time-based holdout, compared across runs as charts.' },
        { name: 'Train', what: 'Linear baseline and neural fare models trained from the feature store as jobs.' },
        { name: 'Predict', what: 'Single and batch predictions with online features, by alias, and the A/B split.' },
      ]}
    />
  );
}
