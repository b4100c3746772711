import { brokerName, createBroker } from '../server/create-broker.ts';
import { exitOnSignals } from '../server/exit-on-signals.ts';
import { createLogger } from '../server/logger.ts';
import { readConfig } from '../server/read-config.ts';
import { accessSummary, readAccess } from '../server/read-access.ts';
import { exitOnListenError } from './env-config.ts';
import { nodeHost } from './host.ts';
import { startReplica } from './replica.ts';

const config = readConfig(nodeHost);
const access = await readAccess(config, nodeHost);
const log = createLogger(config);
const { broker, presence } = createBroker(config, log);
const replica = await startReplica({ config, broker, presence, log, access }).catch(exitOnListenError);
log.info({ url: replica.url, broker: brokerName(config), ...accessSummary(access) }, `listening on ${replica.url}`);
exitOnSignals(nodeHost, replica.close, log);
