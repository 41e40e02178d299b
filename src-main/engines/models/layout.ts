/**
 * Where a training run puts its artifacts (paths inside the run's artifact root), shared by the trainer
 * and the loaders. A registered version's source is runs:/<run_id>/model.
 */
export const MODEL_DIR = 'model';
export const MODEL_FILES = {
  mlmodel: 'MLmodel',
  spec: 'feature_spec.json',
  linear: 'linear.json',
  mlpJson: 'model.json',
  mlpWeights: 'weights.bin',
} as const;

export const REFERENCE_DIR = 'reference';
export const REFERENCE_FILES = {
  train: 'train.parquet',
  eval: 'eval.parquet',
  profile: 'profile.json',
} as const;

export const EVALUATION_FILE = 'evaluation/metrics.json';

/** Tags every trained version carries, read by models.list and the predictor. */
export const TAGS = {
  algorithm: 'taxi.algorithm',
  task: 'taxi.task',
  featureService: 'taxi.feature_service',
} as const;

export const MLMODEL_FLAVOR = 'taxi_mlops';
