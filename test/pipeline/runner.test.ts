import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Frame } from "../../src/frames/base.js";
import { CancelFrame, EndFrame } from "../../src/frames/lifecycle.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { PipelineRunner, WorkerRunner } from "../../src/pipeline/runner.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import { IdentityFilter } from "../../src/processors/identity-filter.js";
import { silenceLogs, sleep } from "../helpers/test-processors.js";

let restoreLogs: () => void;
beforeEach(() => {
  restoreLogs = silenceLogs();
});
afterEach(() => restoreLogs());

function newTask(): { task: PipelineTask; finished: () => Frame | undefined } {
  const task = new PipelineTask(new Pipeline([new IdentityFilter()]));
  let finished: Frame | undefined;
  task.on("pipelineFinished", (_t, f) => void (finished = f));
  return { task, finished: () => finished };
}

describe("PipelineRunner", () => {
  it("runs a task to its end; WorkerRunner is an alias", async () => {
    expect(WorkerRunner).toBe(PipelineRunner);
    const { task, finished } = newTask();
    await task.stopWhenDone();
    await new PipelineRunner({ handleSigint: false }).run(task);
    expect(finished()).toBeInstanceOf(EndFrame);
  });

  it("SIGINT cancels the task with 'interrupt signal'; the listener is removed afterwards", async () => {
    const before = process.listeners("SIGINT");
    const runner = new PipelineRunner();
    const { task, finished } = newTask();
    const running = runner.run(task);
    const added = process.listeners("SIGINT").filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    await sleep(10);
    (added[0] as (signal: NodeJS.Signals) => void)("SIGINT");
    (added[0] as (signal: NodeJS.Signals) => void)("SIGINT"); // ignored
    await running;
    expect(finished()).toBeInstanceOf(CancelFrame);
    expect((finished() as CancelFrame).reason).toBe("interrupt signal");
    expect(process.listeners("SIGINT")).toEqual(before);
  });

  it("handleSigint false installs nothing; SIGTERM only when asked", async () => {
    const sigint = process.listenerCount("SIGINT");
    const sigterm = process.listenerCount("SIGTERM");
    const runner = new PipelineRunner({ handleSigint: false, handleSigterm: true });
    const { task } = newTask();
    const running = runner.run(task);
    expect(process.listenerCount("SIGINT")).toBe(sigint);
    expect(process.listenerCount("SIGTERM")).toBe(sigterm + 1);
    await runner.end();
    await running;
    expect(process.listenerCount("SIGTERM")).toBe(sigterm);
  });

  it("end() and cancel() are idempotent", async () => {
    const runner = new PipelineRunner({ handleSigint: false });
    const { task, finished } = newTask();
    const running = runner.run(task);
    await sleep(10);
    await runner.cancel("first");
    await runner.cancel("second");
    await runner.end();
    await running;
    expect((finished() as CancelFrame).reason).toBe("first");

    const again = newTask();
    const runner2 = new PipelineRunner({ handleSigint: false });
    const running2 = runner2.run(again.task);
    await runner2.end();
    await runner2.end();
    await running2;
    expect(again.finished()).toBeInstanceOf(EndFrame);
  });
});
