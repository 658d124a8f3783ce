// huggingface_hub's model_index_to_eval_results → eval_results_to_model_index round trip, and _remove_none.
import { ModelCardError, show } from './errors.js';
import { pyEquals, pyTruthy } from './python-text.js';
import { defineEntry, isYamlMapping, type YamlMapping, type YamlValue } from './yaml-value.js';

/** One `EvalResult`: the fields huggingface_hub keeps from a `model-index` metric. */
interface EvalResult {
  taskType: YamlValue;
  taskName: YamlValue;
  datasetType: YamlValue;
  datasetName: YamlValue;
  datasetConfig: YamlValue;
  datasetSplit: YamlValue;
  datasetRevision: YamlValue;
  datasetArgs: YamlValue;
  sourceName: YamlValue;
  sourceUrl: YamlValue;
  metricType: YamlValue;
  metricValue: YamlValue;
  metricName: YamlValue;
  metricArgs: YamlValue;
  metricConfig: YamlValue;
  verified: YamlValue;
  verifyToken: YamlValue;
}

const fail = (why: string): ModelCardError =>
  new ModelCardError('INVALID_METADATA', `Invalid \`model-index\` in card metadata: ${why}.`);

/** Python's `for x in value` over YAML values: lists give items, strings characters, dicts keys. */
function iterate(value: YamlValue, what: string): YamlValue[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value);
  if (isYamlMapping(value)) return Object.keys(value);
  throw fail(`${what} is not a list: ${show(value)}`);
}

/** Python's `value[key]` on a dict (KeyError / TypeError otherwise). */
function item(value: YamlValue, key: string, what: string): YamlValue {
  if (!isYamlMapping(value)) throw fail(`${what} is not a mapping: ${show(value)}`);
  if (!Object.hasOwn(value, key)) throw fail(`${what} has no ${JSON.stringify(key)}`);
  return value[key] as YamlValue;
}

/** Python's `value.get(key)` on a dict (AttributeError otherwise). */
function get(value: YamlValue, key: string, what: string): YamlValue {
  if (!isYamlMapping(value)) throw fail(`${what} is not a mapping: ${show(value)}`);
  return Object.hasOwn(value, key) ? (value[key] as YamlValue) : null;
}

/** `model_index_to_eval_results`: the model name (of the last entry) and the flattened results. */
function readModelIndex(modelIndex: YamlValue): [YamlValue, EvalResult[]] {
  const results: EvalResult[] = [];
  let name: YamlValue = null;
  for (const entry of iterate(modelIndex, 'model-index')) {
    name = item(entry, 'name', 'a model-index entry');
    for (const result of iterate(item(entry, 'results', 'a model-index entry'), 'results')) {
      const task = item(result, 'task', 'a result');
      const dataset = item(result, 'dataset', 'a result');
      const source = get(result, 'source', 'a result');
      const sourceOrEmpty: YamlValue = pyTruthy(source) ? source : {};
      const base = {
        taskType: item(task, 'type', 'task'),
        taskName: get(task, 'name', 'task'),
        datasetType: item(dataset, 'type', 'dataset'),
        datasetName: item(dataset, 'name', 'dataset'),
        datasetConfig: get(dataset, 'config', 'dataset'),
        datasetSplit: get(dataset, 'split', 'dataset'),
        datasetRevision: get(dataset, 'revision', 'dataset'),
        datasetArgs: get(dataset, 'args', 'dataset'),
        sourceName: get(sourceOrEmpty, 'name', 'source'),
        sourceUrl: get(sourceOrEmpty, 'url', 'source'),
      };
      for (const metric of iterate(item(result, 'metrics', 'a result'), 'metrics')) {
        if (base.sourceName !== null && base.sourceUrl === null) {
          throw fail('If `source_name` is provided, `source_url` must also be provided');
        }
        results.push({
          ...base,
          metricType: item(metric, 'type', 'a metric'),
          metricValue: item(metric, 'value', 'a metric'),
          metricName: get(metric, 'name', 'a metric'),
          metricArgs: get(metric, 'args', 'a metric'),
          metricConfig: get(metric, 'config', 'a metric'),
          verified: get(metric, 'verified', 'a metric'),
          verifyToken: get(metric, 'verifyToken', 'a metric'),
        });
      }
    }
  }
  return [name, results];
}

function hashable(value: YamlValue): boolean {
  return !(Array.isArray(value) || isYamlMapping(value));
}

/** `eval_results_to_model_index` followed by `_remove_none`. */
function writeModelIndex(modelName: YamlValue, results: EvalResult[]): YamlValue {
  const groups: { id: YamlValue[]; results: EvalResult[] }[] = [];
  for (const r of results) {
    const id = [r.taskType, r.datasetType, r.datasetConfig, r.datasetSplit, r.datasetRevision];
    if (!id.every(hashable)) throw fail(`a task or dataset field is a list or mapping: ${show(id)}`);
    const group = groups.find((g) => g.id.every((v, i) => pyEquals(v, id[i] as YamlValue)));
    if (group === undefined) groups.push({ id, results: [r] });
    else group.results.push(r);
  }
  const data = groups.map(({ results: [s, ...rest] }) => {
    const sample = s as EvalResult;
    const entry: YamlMapping = {
      task: { type: sample.taskType, name: sample.taskName },
      dataset: {
        name: sample.datasetName,
        type: sample.datasetType,
        config: sample.datasetConfig,
        split: sample.datasetSplit,
        revision: sample.datasetRevision,
        args: sample.datasetArgs,
      },
      metrics: [sample, ...rest].map((m) => ({
        type: m.metricType,
        value: m.metricValue,
        name: m.metricName,
        config: m.metricConfig,
        args: m.metricArgs,
        verified: m.verified,
        verifyToken: m.verifyToken,
      })),
    };
    if (sample.sourceUrl !== null) {
      entry.source =
        sample.sourceName === null
          ? { url: sample.sourceUrl }
          : { url: sample.sourceUrl, name: sample.sourceName };
    }
    return entry;
  });
  return removeNone([{ name: modelName, results: data }]);
}

/** `_remove_none`: drops `None` list items and dict entries, recursively. */
function removeNone(value: YamlValue): YamlValue {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(removeNone);
  if (!isYamlMapping(value)) return value;
  const out: YamlMapping = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) defineEntry(out, k, removeNone(v));
  return out;
}

/**
 * What huggingface_hub writes for a card's `model-index` / `eval_results` / `model_name`: the normalized
 * `model-index` (results grouped by task and dataset, unknown fields and nulls dropped), or `undefined` when the
 * card has none.
 *
 * @throws {ModelCardError} `INVALID_METADATA` where huggingface_hub fails
 */
export function normalizeModelIndex(metadata: YamlMapping): YamlValue | undefined {
  const modelIndex = metadata['model-index'];
  let modelName: YamlValue = metadata.model_name ?? null;
  let results: EvalResult[];
  if (modelIndex !== undefined && pyTruthy(modelIndex)) {
    [modelName, results] = readModelIndex(modelIndex);
  } else {
    const raw = metadata.eval_results;
    if (raw === undefined || raw === null) return undefined;
    // huggingface_hub wants EvalResult objects here; YAML can only hold an empty list (or string, or mapping).
    if (pyTruthy(raw)) throw fail(`\`eval_results\` must be EvalResult objects, got ${show(raw)}`);
    if (typeof raw !== 'string' && !Array.isArray(raw) && !isYamlMapping(raw)) {
      throw fail(`\`eval_results\` is not iterable: ${show(raw)}`);
    }
    results = [];
  }
  if (results.length > 0 && modelName === null)
    throw fail('Passing `eval_results` requires `model_name` to be set');
  return writeModelIndex(modelName, results);
}
