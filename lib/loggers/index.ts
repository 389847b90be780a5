// Loggers: callbacks that write what the Trainer logs (onLog: trainer.logs at each logging step
// and after each validation) to files other tools read. The HTML dashboard lives beside them.
export { JsonlLogger, type JsonlLoggerOptions } from './jsonl-logger.js';
export { CsvLogger, type CsvLoggerOptions } from './csv-logger.js';
export { TensorBoardLogger, type TensorBoardLoggerOptions } from './tensorboard-logger.js';
export { type LogRow } from './run-log.js';
export { HtmlDashboard, type HtmlDashboardOptions, type ConfusionMatrix, type DashboardProfiles } from './html-dashboard.js';
