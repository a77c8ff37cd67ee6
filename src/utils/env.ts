// Reading the environment the one way every part of pipecat-ts does: a variable that is unset,
// empty or only white space is not set, and a set value is trimmed (a stray space or newline from a
// shell or a .env file is not part of a key or a URL).

/** `env[name]` trimmed, or undefined when it is unset or blank. */
export function envValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}
