// Which way a frame travels: downstream (towards the output) or upstream (towards the input).
export const FrameDirection = { DOWNSTREAM: "downstream", UPSTREAM: "upstream" } as const;
export type FrameDirection = "downstream" | "upstream";
