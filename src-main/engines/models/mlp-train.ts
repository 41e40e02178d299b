/**
 * Trains the MLP with TensorFlow.js (layers API) on the wasm backend, inside the training job's worker.
 * Loaded only there: serving runs the forward pass from the saved weights without TensorFlow.js.
 *
 * Early stopping watches the loss on a validation slice (the latest part of the training rows, so it
 * looks forward in time like the evaluation does) and restores the best epoch's weights. Every epoch
 * reports its losses; a cancelled job stops the fit at the next batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { cancelled } from '../../platform/errors.js';
import type { MlpArtifacts } from './mlp-forward.js';

export interface MlpOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  hidden: number[];
  patience: number;
  seed: number;
  /** 'regression': linear output, MSE on the standardized label; 'binary': sigmoid output, cross-entropy. */
  objective: 'regression' | 'binary';
  signal: AbortSignal;
  onEpoch: (e: { epoch: number; loss: number; val_loss: number; best: boolean }) => void;
}

export interface MlpResult {
  artifacts: MlpArtifacts;
  history: { epoch: number; loss: number; val_loss: number }[];
  bestEpoch: number;
  epochsRun: number;
}

let backendReady: Promise<void> | null = null;

async function ensureBackend(): Promise<void> {
  backendReady ??= (async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  })();
  return backendReady;
}

function concat(data: ArrayBuffer | ArrayBuffer[]): ArrayBuffer {
  if (!Array.isArray(data)) return data;
  const out = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

export async function trainMlp(x: Float32Array, y: Float32Array, n: number, d: number, valFrom: number, o: MlpOptions): Promise<MlpResult> {
  await ensureBackend();
  const model = tfl.sequential();
  o.hidden.forEach((units, i) =>
    model.add(
      tfl.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: o.seed + i }),
        ...(i === 0 ? { inputShape: [d] } : {}),
      }),
    ),
  );
  model.add(tfl.layers.dense({ units: 1, activation: o.objective === 'binary' ? 'sigmoid' : 'linear', kernelInitializer: tfl.initializers.glorotUniform({ seed: o.seed + 99 }) }));
  model.compile({ optimizer: tf.train.adam(o.learningRate), loss: o.objective === 'binary' ? 'binaryCrossentropy' : 'meanSquaredError' });

  const xTrain = tf.tensor2d(x.subarray(0, valFrom * d), [valFrom, d]);
  const yTrain = tf.tensor2d(y.subarray(0, valFrom), [valFrom, 1]);
  const xVal = tf.tensor2d(x.subarray(valFrom * d, n * d), [n - valFrom, d]);
  const yVal = tf.tensor2d(y.subarray(valFrom, n), [n - valFrom, 1]);
  const history: MlpResult['history'] = [];
  let best = { loss: Infinity, epoch: 0, weights: [] as tf.Tensor[] };
  let wasCancelled = false;
  try {
    await model.fit(xTrain, yTrain, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      shuffle: true,
      validationData: [xVal, yVal],
      verbose: 0,
      callbacks: {
        onBatchEnd: async () => {
          if (o.signal.aborted) {
            wasCancelled = true;
            model.stopTraining = true;
          }
        },
        onEpochEnd: async (epoch, logs) => {
          const loss = Number(logs?.loss);
          const val_loss = Number(logs?.val_loss);
          history.push({ epoch: epoch + 1, loss, val_loss });
          const improved = val_loss < best.loss;
          if (improved) {
            best.weights.forEach((w) => w.dispose());
            best = { loss: val_loss, epoch: epoch + 1, weights: model.getWeights().map((w) => tf.clone(w)) };
          }
          o.onEpoch({ epoch: epoch + 1, loss, val_loss, best: improved });
          if (epoch + 1 - best.epoch >= o.patience) model.stopTraining = true;
          if (o.signal.aborted) {
            wasCancelled = true;
            model.stopTraining = true;
          }
        },
      },
    });
    if (wasCancelled) throw cancelled('training');
    if (best.weights.length) model.setWeights(best.weights);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const a = saved as tf.io.ModelArtifacts | null;
    if (!a?.weightData || !a.weightSpecs) throw new Error('TensorFlow.js saved no weights');
    return {
      artifacts: { topology: a.modelTopology as object, weightSpecs: a.weightSpecs, weightData: new Uint8Array(concat(a.weightData as ArrayBuffer | ArrayBuffer[])) },
      history,
      bestEpoch: best.epoch,
      epochsRun: history.length,
    };
  } finally {
    best.weights.forEach((w) => w.dispose());
    tf.dispose([xTrain, yTrain, xVal, yVal]);
    model.dispose();
  }
}
