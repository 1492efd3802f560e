// One city node: config, hosted chains, consensus driving, operations endpoint.
export * from './errors.js';
export { CityNode, type HostedChain } from './city-node.js';
export { startHttp } from './http.js';
export { loadNodeConfig, parseNodeConfig, nodeConfigSchema, splitHostPort, type NodeConfig } from './config.js';
export { loadGenesis, parseGenesis, genesisSchema, type ChainGenesis, type GenesisFile } from './genesis.js';
export { ChainRunner, type ChainRunnerOptions } from './chain-runner.js';
export { encodeConsensusMessage, decodeConsensusMessage } from './consensus-wire.js';
