// The callbacks and loggers a run config switches on. Logger files go inside the run folder
// unless the config gives a path (a relative one is taken inside the run folder too).
import path from 'node:path';
import { EarlyStopping, GradientMonitorCallback, LearningRateMonitor, ProgressBar } from '../engine/callbacks.js';
import type { TrainingHooks } from '../engine/hooks.js';
import { CsvLogger } from '../loggers/csv-logger.js';
import { HtmlDashboard } from '../loggers/html-dashboard.js';
import { JsonlLogger } from '../loggers/jsonl-logger.js';
import { TensorBoardLogger } from '../loggers/tensorboard-logger.js';
import type { CallbacksConfig, LoggerConfig } from './schema.js';

/** Where each logger writes by default, relative to the run folder. */
export const DEFAULT_LOGGER_PATHS = { jsonl: 'logs/metrics.jsonl', csv: 'logs/metrics.csv', tensorboard: 'tensorboard', dashboard: 'dashboard.html' } as const;

const inRun = (runDir: string, p: string | undefined, fallback: string) => path.resolve(runDir, p ?? fallback);

export function buildLoggers(loggers: readonly LoggerConfig[], runDir: string): TrainingHooks[] {
  return loggers.map((l) => {
    switch (l.type) {
      case 'jsonl': return new JsonlLogger({ path: inRun(runDir, l.path, DEFAULT_LOGGER_PATHS.jsonl), fsync: l.fsync });
      case 'csv': return new CsvLogger({ path: inRun(runDir, l.path, DEFAULT_LOGGER_PATHS.csv), fsync: l.fsync });
      case 'tensorboard': return new TensorBoardLogger({ dir: inRun(runDir, l.dir, DEFAULT_LOGGER_PATHS.tensorboard), histogramsEveryNSteps: l.histogramsEveryNSteps, histogramBins: l.histogramBins, fsync: l.fsync });
      case 'dashboard': return new HtmlDashboard({ path: inRun(runDir, l.path, DEFAULT_LOGGER_PATHS.dashboard), title: l.title, minIntervalMs: l.minIntervalMs, autoRefreshSeconds: l.autoRefreshSeconds });
    }
  });
}

export function buildCallbacks(callbacks: CallbacksConfig): TrainingHooks[] {
  const out: TrainingHooks[] = [];
  if (callbacks.earlyStopping) out.push(new EarlyStopping(callbacks.earlyStopping));
  if (callbacks.lrMonitor) out.push(new LearningRateMonitor());
  if (callbacks.progressBar) out.push(new ProgressBar(callbacks.progressBar));
  if (callbacks.gradientMonitor) out.push(new GradientMonitorCallback(callbacks.gradientMonitor));
  return out;
}
