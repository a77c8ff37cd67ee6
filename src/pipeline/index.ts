export {
  Pipeline,
  PipelineSource,
  PipelineSink,
  type PipelineOptions,
  type PipelineExit,
} from "./pipeline.js";
export { ParallelPipeline, type ParallelPipelineOptions } from "./parallel-pipeline.js";
export {
  SyncParallelPipeline,
  FrameOrder,
  type SyncParallelPipelineOptions,
} from "./sync-parallel-pipeline.js";
export {
  PipelineTask,
  PipelineWorker,
  ProcessorUnusablePolicy,
  type PipelineTaskOptions,
  type PipelineWorkerOptions,
  type PipelineTaskEvents,
  type PipelineWorkerEvents,
  type PipelineParams,
  type FrameClass,
} from "./task.js";
export {
  PipelineRunner,
  WorkerRunner,
  type PipelineRunnerOptions,
  type WorkerRunnerOptions,
} from "./runner.js";
