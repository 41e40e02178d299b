/**
 * The MLP as saved by TensorFlow.js (model.json in the layers-model format + one weights file), and its
 * forward pass in plain JavaScript: a few small dense layers are faster on Float64Arrays than a round trip
 * through TensorFlow.js for one row, and serving then needs no TensorFlow.js at all.
 */
import { AppError } from '../../platform/errors.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export interface MlpArtifacts {
  topology: object;
  weightSpecs: WeightSpec[];
  weightData: Uint8Array;
}

export const MLP_WEIGHTS_FILE = 'weights.bin';

/** model.json as TensorFlow.js writes it (loadable with tf.loadLayersModel). */
export function modelJsonOf(a: MlpArtifacts): string {
  return JSON.stringify({
    format: 'layers-model',
    generatedBy: 'taxi-mlops (TensorFlow.js layers)',
    convertedBy: null,
    modelTopology: a.topology,
    weightsManifest: [{ paths: [MLP_WEIGHTS_FILE], weights: a.weightSpecs }],
  });
}

type Activation = 'relu' | 'linear' | 'sigmoid' | 'tanh';

interface Dense {
  inputs: number;
  units: number;
  /** Row-major [inputs][units], as Keras stores a kernel. */
  kernel: Float64Array;
  bias: Float64Array;
  activation: Activation;
}

export interface MlpNet {
  layers: Dense[];
  inputDim: number;
}

const bad = (where: string, why: string, details: Record<string, unknown> = {}): AppError => new AppError('INVALID_FILE', `${where}: ${why}`, { file: where, ...details });

/** Parses model.json and the weights file; every inconsistency is an INVALID_FILE naming the file. */
export function parseMlp(modelJson: string, weights: Buffer | Uint8Array, where: string): MlpNet {
  let doc: { modelTopology?: { config?: { layers?: { class_name?: string; config?: { units?: number; activation?: string; use_bias?: boolean } }[] } }; weightsManifest?: { weights?: WeightSpec[] }[] };
  try {
    doc = JSON.parse(modelJson) as typeof doc;
  } catch (e) {
    throw bad(`${where}/model.json`, `not JSON (${(e as Error).message})`);
  }
  const layerDefs = doc.modelTopology?.config?.layers;
  const specs = doc.weightsManifest?.flatMap((g) => g.weights ?? []);
  if (!Array.isArray(layerDefs) || layerDefs.length === 0 || !specs?.length) throw bad(`${where}/model.json`, 'no layers or no weights manifest');
  const needed = specs.reduce((s, w) => {
    if (w.dtype !== 'float32') throw bad(`${where}/model.json`, `weight ${w.name} is ${w.dtype}; only float32 is supported`);
    return s + w.shape.reduce((a, b) => a * b, 1) * 4;
  }, 0);
  if (weights.byteLength !== needed) {
    throw bad(`${where}/${MLP_WEIGHTS_FILE}`, `holds ${weights.byteLength} bytes but its manifest describes ${needed}`, { bytes: weights.byteLength, expected: needed });
  }
  const floats = new Float32Array(new Uint8Array(weights).buffer.slice(0));
  let at = 0;
  let s = 0;
  const take = (shape: number[]): Float64Array => {
    const len = shape.reduce((a, b) => a * b, 1);
    const out = Float64Array.from(floats.subarray(at, at + len));
    at += len;
    return out;
  };
  const layers: Dense[] = layerDefs.map((l, i) => {
    if (l.class_name !== 'Dense') throw bad(`${where}/model.json`, `layer ${i} is ${l.class_name}; only Dense layers are supported`);
    const act = l.config?.activation ?? 'linear';
    if (!['relu', 'linear', 'sigmoid', 'tanh'].includes(act)) throw bad(`${where}/model.json`, `layer ${i} has activation ${act}`);
    const kSpec = specs[s++];
    if (!kSpec || kSpec.shape.length !== 2) throw bad(`${where}/model.json`, `layer ${i} has no 2-D kernel`);
    const kernel = take(kSpec.shape);
    const units = kSpec.shape[1]!;
    let bias: Float64Array = new Float64Array(units);
    if (l.config?.use_bias !== false) {
      const bSpec = specs[s++];
      if (!bSpec || bSpec.shape.length !== 1 || bSpec.shape[0] !== units) throw bad(`${where}/model.json`, `layer ${i} bias does not match its ${units} units`);
      bias = take(bSpec.shape);
    }
    return { inputs: kSpec.shape[0]!, units, kernel, bias, activation: act as Activation };
  });
  for (let i = 1; i < layers.length; i++) {
    if (layers[i]!.inputs !== layers[i - 1]!.units) throw bad(`${where}/model.json`, `layer ${i} takes ${layers[i]!.inputs} inputs but layer ${i - 1} gives ${layers[i - 1]!.units}`);
  }
  if (layers.at(-1)!.units !== 1) throw bad(`${where}/model.json`, 'the last layer must have one unit');
  const all = floats.every((v) => Number.isFinite(v));
  if (!all) throw bad(`${where}/${MLP_WEIGHTS_FILE}`, 'holds non-finite weights');
  return { layers, inputDim: layers[0]!.inputs };
}

/** Forward pass of n rows (row-major, inputDim columns) → one output per row. */
export function forwardMlp(net: MlpNet, x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  const width = Math.max(...net.layers.map((l) => l.units), net.inputDim);
  let a: Float64Array = new Float64Array(width);
  let b: Float64Array = new Float64Array(width);
  for (let r = 0; r < n; r++) {
    a.set(x.subarray(r * net.inputDim, (r + 1) * net.inputDim));
    for (const l of net.layers) {
      const { inputs, units, kernel, bias } = l;
      for (let u = 0; u < units; u++) b[u] = bias[u]!;
      for (let i = 0; i < inputs; i++) {
        const v = a[i]!;
        if (v === 0) continue;
        const row = i * units;
        for (let u = 0; u < units; u++) b[u] = b[u]! + v * kernel[row + u]!;
      }
      if (l.activation === 'relu') for (let u = 0; u < units; u++) b[u] = b[u]! > 0 ? b[u]! : 0;
      else if (l.activation === 'sigmoid') for (let u = 0; u < units; u++) b[u] = 1 / (1 + Math.exp(-b[u]!));
      else if (l.activation === 'tanh') for (let u = 0; u < units; u++) b[u] = Math.tanh(b[u]!);
      const t = a;
      a = b;
      b = t;
    }
    out[r] = a[0]!;
  }
  return out;
}
