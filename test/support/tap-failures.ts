/**
 * The failed tests of a TAP report written by node's test runner: their names, where they are
 * and what they failed with, so that the suite can repeat them after its last line of output.
 */

export interface TapFailure {
  name: string;
  /** `file:line:column` as the runner wrote it. */
  location?: string;
  /** testCodeFailure, hookFailed, cancelledByParent, uncaughtException, ... */
  failureType?: string;
  /** The error message, as many lines as it has. */
  error: string;
}

/** A YAML scalar as the runner writes it: 'single-quoted' ('' for a quote), or plain. */
function scalar(text: string): string {
  const value = text.trim();
  if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) return value.slice(1, -1).replaceAll("''", "'");
  return value;
}

/**
 * Reads every `not ok` test with its YAML block. Suites that failed only because a test in
 * them failed (failureType subtestsFailed) are left out: the test itself is listed.
 */
export function tapFailures(tap: string): TapFailure[] {
  const lines = tap.split('\n');
  const failures: TapFailure[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^(\s*)not ok \d+ - (.*?)(?: # (?:SKIP|TODO)\b.*)?$/.exec(lines[i]);
    if (!head) continue;
    const indent = head[1].length + 2;
    const fields = new Map<string, string>();
    if (lines[i + 1]?.trim() === '---') {
      let j = i + 2;
      while (j < lines.length && lines[j].trimEnd() !== `${' '.repeat(indent)}...`) {
        const field = new RegExp(`^ {${indent}}([A-Za-z_]+):(.*)$`).exec(lines[j]);
        j++;
        if (!field) continue;
        const [, key, rest] = field;
        if (/^\s*\|-?\s*$/.test(rest)) {
          const block: string[] = [];
          while (j < lines.length && (lines[j].startsWith(' '.repeat(indent + 2)) || lines[j].trim() === '')
            && lines[j].trimEnd() !== `${' '.repeat(indent)}...`) {
            block.push(lines[j].slice(indent + 2));
            j++;
          }
          fields.set(key, block.join('\n').trimEnd());
        } else {
          fields.set(key, scalar(rest));
        }
      }
      i = j;
    }
    if (fields.get('failureType') === 'subtestsFailed') continue;
    failures.push({
      name: head[2].replaceAll('\\#', '#'),
      location: fields.get('location'),
      failureType: fields.get('failureType'),
      error: fields.get('error') ?? '',
    });
  }
  return failures;
}

/** The failures as text for the end of the suite's output, each error cut to `maxLines`. */
export function describeTapFailures(failures: TapFailure[], cwd: string, maxLines = 40): string {
  return failures.map((failure) => {
    const where = failure.location?.replace(`${cwd}/`, '');
    const lines = failure.error.split('\n');
    const shown = lines.length > maxLines ? [...lines.slice(0, maxLines), `... (${lines.length - maxLines} more lines)`] : lines;
    return [`✖ ${failure.name}`, ...(where ? [`  at ${where}${failure.failureType ? ` (${failure.failureType})` : ''}`] : []),
      ...shown.map((line) => `  ${line}`)].join('\n');
  }).join('\n\n');
}
