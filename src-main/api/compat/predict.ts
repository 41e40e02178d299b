/**
 * POST /predict on `taxi-mlops serve`: the platform guide's inference path (request → feature store →
 * model → response). The guide names no request shape beyond its trip message, so the route accepts:
 *   - the contract's shape: { requests: [{ trip_id, taxi_id?, pickup_community_area?, features? }], model?, alias?, version? }
 *   - one trip in the trip message format: { trip_id, pickup_datetime, dropoff_datetime?, trip_distance,
 *     passenger_count, … (taxi_id, pickup_community_area, payment_type, company, features optional) }
 *   - a batch of those: { trips: [ … ] } or a JSON array.
 * Trip fields become request values of the trip_features inputs (pickup hour, weekday and month from
 * pickup_datetime; trip_seconds from the two times when not given), so a trip not yet in the online store
 * is still predicted from what the request says; online values fill the rest.
 * A single trip answers { trip_id, prediction, predicted_fare_amount, model_name, model_version, variant,
 * feature_statuses, features, latency_ms }; the other forms answer { predictions: [...], latency_ms }.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { httpStatusOf } from '../http.js';
import { errorShape } from '../../platform/errors.js';
import type { Services } from '../../platform/services.js';
import type { PredictInput } from '../methods/models.js';
import { instantMs } from '../../engines/features/online-schemas.js';

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const TripSchema = z
  .object({
    trip_id: z.string().min(1),
    taxi_id: z.string().min(1).optional(),
    pickup_datetime: z.union([z.string(), z.number()]).optional(),
    dropoff_datetime: z.union([z.string(), z.number()]).optional(),
    pickup_community_area: z.number().int().nullable().optional(),
    dropoff_community_area: z.number().int().nullable().optional(),
    passenger_count: z.number().nullable().optional(),
    trip_distance: z.number().nullable().optional(),
    trip_seconds: z.number().nullable().optional(),
    payment_type: z.string().nullable().optional(),
    company: z.string().nullable().optional(),
    features: z.record(z.string(), Scalar).optional(),
    model: z.string().min(1).optional(),
    alias: z.string().min(1).optional(),
    version: z.union([z.string(), z.number()]).optional(),
  })
  .passthrough();
type Trip = z.infer<typeof TripSchema>;

const TIME_FIELDS = ['pickup_datetime', 'dropoff_datetime'] as const;

/** A trip message as a predict request: its fields become values of the model's trip inputs. */
export function requestOfTrip(t: Trip): PredictInput['requests'][number] {
  const f: Record<string, string | number | boolean | null> = {};
  for (const k of ['trip_distance', 'trip_seconds', 'passenger_count', 'pickup_community_area', 'dropoff_community_area', 'payment_type', 'company'] as const) {
    if (t[k] !== undefined) f[k] = t[k];
  }
  const times = TIME_FIELDS.map((k) => (t[k] === undefined ? null : instantMs(t[k]!)));
  TIME_FIELDS.forEach((k, i) => {
    if (t[k] !== undefined && times[i] === null) throw Object.assign(new Error(`${k}: expected an ISO 8601 time or epoch milliseconds, got ${JSON.stringify(t[k])}`), { code: 'INVALID_INPUT', details: { field: k } });
  });
  const [pickup, dropoff] = times;
  if (pickup !== null && pickup !== undefined) {
    const d = new Date(pickup);
    f.pickup_hour = d.getUTCHours();
    f.pickup_weekday = (d.getUTCDay() + 6) % 7;
    f.pickup_month = d.getUTCMonth() + 1;
  }
  if (f.trip_seconds === undefined && pickup != null && dropoff != null && dropoff >= pickup) f.trip_seconds = Math.round((dropoff - pickup) / 1000);
  return {
    trip_id: t.trip_id,
    ...(t.taxi_id ? { taxi_id: t.taxi_id } : {}),
    ...(typeof t.pickup_community_area === 'number' ? { pickup_community_area: t.pickup_community_area } : {}),
    features: { ...f, ...(t.features ?? {}) },
  };
}

function fail(reply: FastifyReply, e: unknown): FastifyReply {
  const err = errorShape(e);
  return reply.code(httpStatusOf(err.code)).send({ detail: err.message, code: err.code, details: err.details ?? null });
}

export function registerPredictRoutes(app: FastifyInstance, s: Services): void {
  app.post('/predict', async (req, reply) => {
    try {
      const body = req.body as unknown;
      const { getPredictor } = await import('../../engines/models/predictor.js');
      const predictor = await getPredictor(s);
      if (body && typeof body === 'object' && !Array.isArray(body) && 'requests' in body) return reply.send(await predictor.predict(body as PredictInput));
      const single = !Array.isArray(body) && !(body && typeof body === 'object' && 'trips' in body);
      const list = Array.isArray(body) ? body : single ? [body] : (body as { trips: unknown }).trips;
      const parsed = z.array(TripSchema).min(1).max(10_000).safeParse(list);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const where = single ? issue.path.slice(1) : issue.path;
        return reply.code(400).send({ detail: `${where.join('.') || 'body'}: ${issue.message}`, code: 'INVALID_INPUT' });
      }
      const first = parsed.data[0]!;
      const input: PredictInput = {
        requests: parsed.data.map(requestOfTrip),
        ...(first.model ? { model: first.model } : {}),
        ...(first.alias ? { alias: first.alias } : {}),
        ...(first.version !== undefined ? { version: String(first.version) } : {}),
      };
      const r = await predictor.predict(input, { ignoreUnknownFeatures: true });
      if (!single) return reply.send(r);
      const p = r.predictions[0]!;
      return reply.send({ ...p, predicted_fare_amount: p.prediction, latency_ms: r.latency_ms });
    } catch (e) {
      return fail(reply, e);
    }
  });
}
