// What the array and host configs share: reading a YAML file and validating it with zod so
// that every problem is reported at once, each naming its key path.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${at ? `${at}.` : ''}${k}: unknown key`);
  if (issue.code === 'invalid_type' && issue.input === undefined) return [`${at}: required`];
  return [`${at || '(top level)'}: ${issue.message}`];
}

/** The parsed document, or a ConfigError naming every bad key. */
export function validateConfig<S extends z.ZodType>(schema: S, doc: unknown, file: string): z.output<S> {
  const parsed = schema.safeParse(doc, { reportInput: true });
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.flatMap(describeIssue));
  return parsed.data;
}

/** The YAML document in `file`; a ConfigError when it cannot be read or parsed. */
export function readYamlConfig(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
}
