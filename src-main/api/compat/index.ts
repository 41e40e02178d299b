/**
 * Routes that speak other tools' protocols on `taxi-mlops serve` (MLflow's REST API, Feast's feature
 * server, the platform guide's routes). Each module registers its routes; all of them call the same
 * services as the contract.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../platform/services.js';
import { registerMlflowRoutes } from './mlflow.js';
import { registerFeastRoutes } from './feast.js';
import { registerKafkaRoutes } from './kafka.js';
import { registerPredictRoutes } from './predict.js';
import { registerReportRoutes } from './reports.js';

export type CompatRoutes = (app: FastifyInstance, s: Services) => void | Promise<void>;

/** One line per protocol module. */
export const COMPAT_ROUTES: CompatRoutes[] = [
  registerMlflowRoutes,
  registerKafkaRoutes,
  registerFeastRoutes,
  registerPredictRoutes,
  registerReportRoutes,
];
