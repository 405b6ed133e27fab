import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from './config';

/** Connection options shared by the client (API) and the worker: TLS files or an API key from config. */
function connectionOptions(config: Config): NativeConnectionOptions & { address: string } {
  if (!config.TEMPORAL_ADDRESS) {
    throw new Error('TEMPORAL_ADDRESS is not set: point it at a Temporal cluster, or use `npm start` for the embedded one');
  }
  const mtls = config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH;
  const tlsWanted = mtls || config.TEMPORAL_TLS_CA_PATH || config.TEMPORAL_API_KEY;
  return {
    address: config.TEMPORAL_ADDRESS,
    apiKey: config.TEMPORAL_API_KEY,
    tls: tlsWanted
      ? {
          serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME,
          serverRootCACertificate: config.TEMPORAL_TLS_CA_PATH ? fs.readFileSync(config.TEMPORAL_TLS_CA_PATH) : undefined,
          clientCertPair: mtls
            ? { crt: fs.readFileSync(config.TEMPORAL_TLS_CERT_PATH!), key: fs.readFileSync(config.TEMPORAL_TLS_KEY_PATH!) }
            : undefined,
        }
      : undefined,
  };
}

/**
 * grpc-js backs its reconnects off up to 120 s: after Temporal was down for a while, the API kept
 * answering 503 until its next try, long after Temporal was back (20.4 s after a 40 s outage).
 * Capped at 5 s: 3.2 s. The worker's connection (Rust core) reconnects on its own.
 */
export const CLIENT_CHANNEL_ARGS = { 'grpc.max_reconnect_backoff_ms': 5_000 };

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ ...connectionOptions(config), channelArgs: CLIENT_CHANNEL_ARGS });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

export function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}
