import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * One of the system's processes (a worker, an API) run for real as a child process from its
 * TypeScript entry point, so that a test can SIGKILL it and start it again. Its output goes to a
 * log file; `start` resolves once a line matching `ready` appears in it.
 */
export class SystemProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  starts = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    private readonly ready: RegExp,
    readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 180_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const offset = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    const out = fs.openSync(this.logFile, 'a');
    // node itself with tsx's loader, not the tsx command: that one runs node as a child of its own,
    // which a SIGKILL of the parent would leave running.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, this.entry)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.child = child;
    this.starts++;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = fs.readFileSync(this.logFile, 'utf8').slice(offset);
      if (this.ready.test(log)) return;
      if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${log.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends a signal and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return this.exited;
    this.child!.kill(signal);
    await this.exited;
  }

  /** Resolves when the process ends by itself (or is killed). */
  whenExited(): Promise<void> {
    return this.exited;
  }
}
