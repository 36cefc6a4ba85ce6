/**
 * Checks on the folders and files `npm start` is asked to use, made before anything is written:
 * - a data folder (or a state file's folder) must be an ordinary writable folder on a disk:
 *   `--data /proc/x` would otherwise make Node's recursive mkdir spin forever;
 * - a state file that belongs to another running federation is never overwritten nor removed.
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A configuration mistake the CLI reports as it is. */
export class FederationConfigInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FederationConfigInvalid';
  }
}

/** A folder or file that cannot be used, with a one-line reason. */
export class LocalPathRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalPathRefused';
  }
}

// statfs(2) magic numbers of kernel pseudo file systems, which hold no files of ours.
const PSEUDO_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0x74726163, 'tracefs'],
  [0xcafe4a11, 'bpf'],
  [0x6e736673, 'nsfs'],
]);

/** The deepest existing ancestor of `path` (itself when it exists). */
function existingAncestor(path: string): string {
  let p = resolve(path);
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/**
 * Make sure `dir` is, or can be created as, an ordinary writable folder, then create it (0700).
 * `what` names it in the error ("the data folder").
 */
export function ensureWritableFolder(dir: string, what: string): void {
  const target = resolve(dir);
  const base = existingAncestor(target);
  let stat;
  try {
    stat = statSync(base);
  } catch {
    throw new LocalPathRefused(`${what} ${dir} cannot be used: ${base} cannot be read`);
  }
  if (!stat.isDirectory())
    throw new LocalPathRefused(`${what} ${dir} cannot be used: ${base} is not a folder`);
  let fsType: number | undefined;
  try {
    fsType = statfsSync(base).type;
  } catch {
    fsType = undefined;
  }
  const pseudo = fsType === undefined ? undefined : PSEUDO_FILE_SYSTEMS.get(fsType);
  if (pseudo || (/^\/dev(\/|$)/.test(base) && !/^\/dev\/shm(\/|$)/.test(base))) {
    throw new LocalPathRefused(
      `${what} ${dir} is on a special file system (${pseudo ?? 'devices'}); choose a folder on a disk`,
    );
  }
  try {
    accessSync(base, constants.W_OK);
    mkdirSync(target, { recursive: true, mode: 0o700 });
    // a write test: access() says yes as root, and on a read-only mount until the first write
    const probe = join(target, `.hcx-write-test-${randomBytes(4).toString('hex')}`);
    writeFileSync(probe, '', { flag: 'wx' });
    rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new LocalPathRefused(`${what} ${dir} is not writable (${code}); choose another folder`);
  }
}

/** Whether process `pid` is alive (EPERM: alive, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The `pid` recorded in a state file, when the file exists and records one. */
export function stateFilePid(file: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown } | null)?.pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Refuse a state file another running federation wrote (its process is alive); a stale one is fine. */
export function refuseStateFileInUse(file: string): void {
  const pid = stateFilePid(file);
  if (pid !== undefined && pid !== process.pid && processAlive(pid)) {
    throw new LocalPathRefused(
      `the state file ${file} belongs to a federation that is running (process ${pid}); ` +
        'stop it first, or give this one another --state-file',
    );
  }
}
