import { execFile } from 'node:child_process';
import { hostname } from 'node:os';

/** The names under which a scan request means "this console's own host". */
export class LocalHostNames {
  private constructor(private readonly names: Set<string>) {}

  /** Reads the host name and FQDN once (`hostname -f` may fail: the short name still counts). */
  static async discover(): Promise<LocalHostNames> {
    const names = new Set(['localhost', 'localhost.localdomain', '127.0.0.1', '::1', '[::1]']);
    const short = hostname();
    names.add(short.toLowerCase());
    names.add(short.split('.')[0].toLowerCase());
    const fqdn = await new Promise<string>((resolve) => {
      execFile('hostname', ['-f'], { timeout: 5000 }, (error, stdout) => resolve(error ? '' : stdout.trim()));
    });
    if (fqdn) names.add(fqdn.toLowerCase());
    return new LocalHostNames(names);
  }

  matches(endpoint: string): boolean {
    return this.names.has(endpoint.trim().toLowerCase().replace(/\.$/, ''));
  }
}
