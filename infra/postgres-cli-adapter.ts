import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';

// PostgreSQL catalog types the driver adapter cannot describe; their values are plain strings.
const AS_TEXT = new Map<number, number>([
  [18, 25], // "char" -> text
  [19, 25], // name -> text
  [1002, 1009], // "char"[] -> text[]
  [1003, 1009], // name[] -> text[]
]);

function describeAsText<R>(result: R): R {
  const fields = (result as { fields?: Array<{ dataTypeID: number }> } | undefined)?.fields;
  for (const f of fields ?? []) f.dataTypeID = AS_TEXT.get(f.dataTypeID) ?? f.dataTypeID;
  return result;
}

/**
 * A node-postgres client whose results describe catalog columns (name, "char") as text. Prisma's
 * JS schema engine reads the catalog through the driver adapter, which knows no `name` type, so
 * every migrate command fails with "Column type 'name' could not be deserialized"
 * (prisma/orm#27403, open in 6.19); the native engine that avoids it cannot be downloaded here.
 */
class CatalogAsTextClient extends pg.Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (err: Error | null, res: unknown) => void;
      args[last] = (err: Error | null, res: unknown) => callback(err, err ? res : describeAsText(res));
    } else if (args[0] && typeof args[0] === 'object' && typeof args[0].callback === 'function') {
      const callback = args[0].callback as (err: Error | null, res: unknown) => void;
      args[0] = { ...args[0], callback: (err: Error | null, res: unknown) => callback(err, err ? res : describeAsText(res)) };
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    return out instanceof Promise ? out.then(describeAsText) : out;
  }
}

/**
 * @prisma/adapter-pg runs a migration by splitting its script at every ';', inside comments, string
 * literals and function bodies too, so a trigger function (migration 0007) cannot be applied. This
 * one sends the script whole, as PostgreSQL's simple query protocol takes it: several statements in
 * one implicit transaction.
 */
class WholeScriptPg extends PrismaPg {
  override async connect() {
    const adapter = await super.connect();
    const pool = (adapter as unknown as { client: pg.Pool }).client;
    const onError = (adapter as unknown as { onError(e: unknown): never }).onError.bind(adapter);
    adapter.executeScript = async (script: string) => {
      try {
        await pool.query(script);
      } catch (err) {
        onError(err);
      }
    };
    return adapter;
  }
}

/** The driver adapter for the Prisma CLI (prisma.config.ts) on PostgreSQL. */
export function postgresCliAdapter(connectionString: string): PrismaPg {
  return new WholeScriptPg({ connectionString, Client: CatalogAsTextClient } as pg.PoolConfig);
}
