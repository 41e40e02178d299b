/**
 * What the Models tab shows: experiments, a page of runs for the current search, one run's detail, a
 * comparison of selected runs, registered models with their versions (and the runs behind them, for their
 * evaluation metrics), and the outcome of registry actions. Held here so switching tabs keeps the search,
 * the page and the selection.
 */
import { create } from 'zustand';
import { call, on, toApiError, type ApiError, type Input, type Job, type Output } from '../api/client';
import { idle, remoteLoader, type Remote } from './async';
import { isTerminal, useJobsStore } from './jobs';

export type Experiment = Output<'registry.experiments.list'>['experiments'][number];
export type Run = Output<'registry.runs.get'>;
export type RegisteredModel = Output<'registry.models.get'>;
export type ModelVersion = Output<'registry.versions.get'>;
export type Comparison = Output<'registry.runs.compare'>;
export type FileInfo = Output<'registry.artifacts.list'>['files'][number];
export type RegistryInfo = Output<'registry.info'>;
export type ServingState = Output<'models.serving'>;
export type PredictInput = Input<'models.predict'>;
export type PredictOutput = Output<'models.predict'>;
export type TrainInput = Input<'models.train'>;
export type VersionSummaries = Output<'models.list'>;

export interface PredictResult {
  request: PredictInput;
  response: PredictOutput;
  at: number;
}

export interface RunsQuery {
  /** Empty: every active experiment. */
  experiment_ids: string[];
  filter: string;
  order_by: string;
  max_results: number;
}

export interface RunsPage {
  runs: Run[];
  next_page_token: string | null;
  query: RunsQuery;
  /** 0-based page number within this query. */
  page: number;
}

export interface RunDetail {
  run: Run;
  root_uri: string;
  artifacts: FileInfo[];
  /** Folder listings opened so far, by path. */
  folders: Record<string, FileInfo[]>;
  /** The run as a one-run comparison: the full history of each of its metrics. */
  comparison: Comparison;
}

export interface ModelVersions {
  model: string;
  versions: ModelVersion[];
  /** The runs the versions came from with their metric histories, for per-version metrics. */
  runs: Comparison | null;
}

/** A registry action (alias, stage, delete) and how it ended. */
export interface ActionState {
  busy: string | null;
  error: { label: string; error: ApiError } | null;
  done: string | null;
}

export const DEFAULT_ORDER = 'attributes.start_time DESC';
export const PAGE_SIZES = [25, 50, 100, 500] as const;
const MAX_COMPARED = 50;

interface ModelsState {
  info: Remote<RegistryInfo>;
  experiments: Remote<Experiment[]>;
  runsQuery: RunsQuery;
  runs: Remote<RunsPage>;
  /** Page tokens of the pages visited in this query; [0] is the first page (no token). */
  pageTokens: (string | null)[];
  selected: string[];
  runDetail: Remote<RunDetail>;
  comparison: Remote<Comparison>;
  models: Remote<RegisteredModel[]>;
  versions: Remote<ModelVersions>;
  action: ActionState;
  serving: Remote<ServingState>;
  /** models.list: each version's feature spec summary and training/evaluation sizes. */
  summaries: Remote<VersionSummaries>;
  shareBusy: boolean;
  shareError: ApiError | null;
  predict: Remote<PredictResult>;
  /** The last training job started from the Train form, followed live through the jobs store. */
  trainJobId: string | null;
  trainStarting: boolean;
  trainError: ApiError | null;
  refreshInfo(): Promise<void>;
  refreshServing(model?: string): Promise<void>;
  loadSummaries(model: string): Promise<void>;
  setChallengerShare(share: number): Promise<void>;
  runPredict(input: PredictInput): Promise<void>;
  startTraining(input: TrainInput): Promise<Job | null>;
  refreshExperiments(): Promise<void>;
  searchRuns(query?: Partial<RunsQuery>): Promise<void>;
  goToPage(page: number): Promise<void>;
  toggleSelected(runId: string): void;
  setSelected(runIds: string[]): void;
  loadRun(runId: string): Promise<void>;
  openFolder(runId: string, path: string): Promise<void>;
  compare(runIds: string[]): Promise<void>;
  refreshModels(): Promise<void>;
  loadVersions(model: string): Promise<void>;
  /** Runs a registry action; refreshes the model's versions and the model list after it. */
  act(label: string, model: string, run: () => Promise<unknown>): Promise<boolean>;
  clearAction(): void;
}

const searchInput = (q: RunsQuery, token: string | null) => ({
  ...(q.experiment_ids.length > 0 ? { experiment_ids: q.experiment_ids } : {}),
  ...(q.filter.trim() ? { filter: q.filter.trim() } : {}),
  ...(q.order_by.trim() ? { order_by: q.order_by.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
  max_results: q.max_results,
  ...(token ? { page_token: token } : {}),
});

/** Every version of a model, through however many pages the registry returns. */
async function allVersions(model: string): Promise<ModelVersion[]> {
  const out: ModelVersion[] = [];
  let token: string | null = null;
  do {
    const page: Output<'registry.versions.list'> = await call('registry.versions.list', { name: model, max_results: 1000, ...(token ? { page_token: token } : {}) });
    out.push(...page.versions);
    token = page.next_page_token;
  } while (token);
  return out.sort((a, b) => Number(b.version) - Number(a.version));
}

/** The runs behind versions, newest versions first, capped at what one comparison takes. */
async function versionRuns(versions: ModelVersion[]): Promise<Comparison | null> {
  const ids = [...new Set(versions.map((v) => v.run_id).filter((id) => id !== ''))].slice(0, MAX_COMPARED);
  if (ids.length === 0) return null;
  try {
    return await call('registry.runs.compare', { run_ids: ids });
  } catch {
    // A version may point at a deleted run or one in another server; its metrics then show as unknown.
    const runs = (await Promise.all(ids.map((id) => call('registry.runs.get', { run_id: id }).catch(() => null)))).filter((r): r is Run => r !== null);
    return runs.length === 0 ? null : await call('registry.runs.compare', { run_ids: runs.map((r) => r.info.run_id) });
  }
}

export const useModelsStore = create<ModelsState>()((set, get) => {
  const loadInfo = remoteLoader(() => get().info, (info) => set({ info }));
  const loadExperiments = remoteLoader(() => get().experiments, (experiments) => set({ experiments }));
  const loadRuns = remoteLoader(() => get().runs, (runs) => set({ runs }));
  const loadRun = remoteLoader(() => get().runDetail, (runDetail) => set({ runDetail }));
  const loadComparison = remoteLoader(() => get().comparison, (comparison) => set({ comparison }));
  const loadModels = remoteLoader(() => get().models, (models) => set({ models }));
  const loadVersions = remoteLoader(() => get().versions, (versions) => set({ versions }));
  const loadServing = remoteLoader(() => get().serving, (serving) => set({ serving }));
  const loadSummaries = remoteLoader(() => get().summaries, (summaries) => set({ summaries }));
  const loadPredict = remoteLoader(() => get().predict, (predict) => set({ predict }));

  const fetchPage = (query: RunsQuery, page: number, token: string | null): Promise<void> =>
    loadRuns(async () => {
      const r = await call('registry.runs.search', searchInput(query, token));
      return { runs: r.runs, next_page_token: r.next_page_token, query, page };
    });

  return {
    info: idle(),
    experiments: idle(),
    runsQuery: { experiment_ids: [], filter: '', order_by: DEFAULT_ORDER, max_results: 50 },
    runs: idle(),
    pageTokens: [null],
    selected: [],
    runDetail: idle(),
    comparison: idle(),
    models: idle(),
    versions: idle(),
    action: { busy: null, error: null, done: null },
    serving: idle(),
    summaries: idle(),
    shareBusy: false,
    shareError: null,
    predict: idle(),
    trainJobId: null,
    trainStarting: false,
    trainError: null,

    refreshInfo: () => loadInfo(() => call('registry.info')),
    refreshServing: (model) => loadServing(() => call('models.serving', model ? { model } : {})),
    loadSummaries: (model) => loadSummaries(() => call('models.list', { model, limit: 1000 })),
    setChallengerShare: async (share) => {
      set({ shareBusy: true, shareError: null });
      try {
        const serving = await call('models.setChallengerShare', { share });
        set({ serving: { data: serving, loading: false, error: null, updatedAt: Date.now() } });
      } catch (err) {
        set({ shareError: toApiError(err) });
      } finally {
        set({ shareBusy: false });
      }
    },
    runPredict: (input) => loadPredict(async () => ({ request: input, response: await call('models.predict', input), at: Date.now() })),
    startTraining: async (input) => {
      set({ trainStarting: true, trainError: null });
      try {
        const job = await call('models.train', input);
        useJobsStore.getState().upsert([job]);
        set({ trainJobId: job.id });
        return job;
      } catch (err) {
        set({ trainError: toApiError(err) });
        return null;
      } finally {
        set({ trainStarting: false });
      }
    },
    refreshExperiments: () => loadExperiments(async () => (await call('registry.experiments.list', { max_results: 1000, view_type: 'ACTIVE_ONLY' })).experiments),
    searchRuns: async (patch) => {
      const query = { ...get().runsQuery, ...patch };
      set({ runsQuery: query, pageTokens: [null] });
      await fetchPage(query, 0, null);
    },
    goToPage: async (page) => {
      const s = get();
      const current = s.runs.data;
      if (!current || page < 0) return;
      const tokens = [...s.pageTokens];
      // The token to page n is known once page n-1 has been read.
      if (page === current.page + 1 && current.next_page_token) tokens[page] = current.next_page_token;
      if (page >= tokens.length) return;
      set({ pageTokens: tokens });
      await fetchPage(current.query, page, tokens[page] ?? null);
    },
    toggleSelected: (runId) =>
      set((s) => ({ selected: s.selected.includes(runId) ? s.selected.filter((id) => id !== runId) : [...s.selected, runId].slice(-MAX_COMPARED) })),
    setSelected: (selected) => set({ selected: [...new Set(selected)].slice(0, MAX_COMPARED) }),
    loadRun: (runId) =>
      loadRun(async () => {
        const [comparison, listing] = await Promise.all([call('registry.runs.compare', { run_ids: [runId] }), call('registry.artifacts.list', { run_id: runId })]);
        return { run: comparison.runs[0]!, root_uri: listing.root_uri, artifacts: listing.files, folders: {}, comparison };
      }),
    openFolder: async (runId, path) => {
      const detail = get().runDetail.data;
      if (!detail || detail.run.info.run_id !== runId || detail.folders[path]) return;
      try {
        const listing = await call('registry.artifacts.list', { run_id: runId, path });
        const now = get().runDetail.data;
        if (now?.run.info.run_id === runId) set({ runDetail: { ...get().runDetail, data: { ...now, folders: { ...now.folders, [path]: listing.files } } } });
      } catch (err) {
        set({ runDetail: { ...get().runDetail, error: toApiError(err) } });
      }
    },
    compare: (runIds) => loadComparison(() => call('registry.runs.compare', { run_ids: runIds.slice(0, MAX_COMPARED) })),
    refreshModels: () => loadModels(async () => (await call('registry.models.list', { max_results: 1000 })).models),
    loadVersions: (model) =>
      loadVersions(async () => {
        const versions = await allVersions(model);
        return { model, versions, runs: await versionRuns(versions) };
      }),
    act: async (label, model, run) => {
      set({ action: { busy: label, error: null, done: null } });
      try {
        await run();
        set({ action: { busy: null, error: null, done: label } });
        return true;
      } catch (err) {
        set({ action: { busy: null, error: { label, error: toApiError(err) }, done: null } });
        return false;
      } finally {
        await Promise.all([get().refreshModels(), get().versions.data?.model === model ? get().loadVersions(model) : Promise.resolve()]);
      }
    },
    clearAction: () => set({ action: { busy: null, error: null, done: null } }),
  };
});

const REFRESH_DEBOUNCE_MS = 300;

/**
 * Keeps the tab current while it is open: a change from this console, another one, the CLI or an MLflow
 * client (registry.changed) re-reads what it can have touched.
 */
export function followRegistry(): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const entities = new Set<string>();
  const refresh = (): void => {
    timer = null;
    const s = useModelsStore.getState();
    const touched = new Set(entities);
    entities.clear();
    if (touched.has('experiment')) void s.refreshExperiments();
    if (touched.has('experiment') || touched.has('run')) {
      const page = s.runs.data;
      if (page && page.page === 0) void s.searchRuns(page.query);
    }
    if (touched.has('model') || touched.has('version') || touched.has('alias') || touched.has('run')) {
      void s.refreshModels();
      const model = s.versions.data?.model;
      if (model) void s.loadVersions(model);
      const summarized = s.summaries.data?.model;
      if (summarized) void s.loadSummaries(summarized);
    }
    // A moved alias changes what serves.
    if (touched.has('alias') || touched.has('version') || touched.has('model')) void s.refreshServing(s.serving.data?.model);
  };
  const schedule = (entity: string): void => {
    entities.add(entity);
    timer ??= setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  };
  const off = on('registry.changed', (e) => schedule(e.entity));
  // A training job that ends has logged a run and maybe registered a version: its registry events may have
  // come from a worker that publishes nothing, so the end of the job is the signal too.
  const offJobs = on('jobs.progress', (job) => {
    if (job.kind === 'models.train' && isTerminal(job.status)) {
      schedule('run');
      schedule('alias');
      schedule('experiment');
    }
  });
  return () => {
    off();
    offJobs();
    if (timer) clearTimeout(timer);
  };
}
