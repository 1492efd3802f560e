// A plain Hardhat 2 project. The network `bsn` is any Ethereum JSON-RPC endpoint; by default the
// `demo` chain of `npx bsn up` through node1's gateway, with its development accounts.
//   BSN_RPC_URL        the JSON-RPC URL (default http://127.0.0.1:27002/apps/demo/rpc)
//   BSN_PRIVATE_KEYS   comma-separated private keys of the accounts to send from (at least two;
//                      default: the development mnemonic's accounts)
//   BSN_CHAIN_ID       the chain id Hardhat checks the endpoint against (default 4242)
require('@nomicfoundation/hardhat-ethers');
const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');
const solc = require('solc');

// Hardhat downloads its compiler, which fails offline. The `solc` npm package ships the same
// compiler as JavaScript: hand Hardhat that one for the version it was asked for.
const SOLC_VERSION = solc.version().split('+')[0];
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper(args);
  return { compilerPath: require.resolve('solc/soljson.js'), isSolcJs: true, version: SOLC_VERSION, longVersion: solc.version() };
});

// Hardhat's and Foundry's development mnemonic: publicly known keys, for local chains only.
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
const keys = process.env.BSN_PRIVATE_KEYS;

module.exports = {
  solidity: {
    version: SOLC_VERSION,
    // The chain runs the Cancun EVM; newer compilers default to a later target.
    settings: { evmVersion: 'cancun', optimizer: { enabled: true, runs: 200 } },
  },
  networks: {
    bsn: {
      url: process.env.BSN_RPC_URL || 'http://127.0.0.1:27002/apps/demo/rpc',
      chainId: Number(process.env.BSN_CHAIN_ID || 4242),
      accounts: keys ? keys.split(',').map((k) => k.trim()) : { mnemonic: DEV_MNEMONIC },
    },
  },
  mocha: { timeout: 30_000 },
};
