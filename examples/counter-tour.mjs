// The five-minute tour: compile a Solidity contract, deploy it to the local network's `demo` app
// chain (the EVM chain) through a city node's gateway with ethers, call it, and read it back from
// another node. Nothing here is BSN-specific: it is plain ethers against a JSON-RPC URL.
//   npx bsn up            # first, in another terminal or before
//   node examples/counter-tour.mjs          # BSN_BASE_PORT=43300 if you ran bsn up --base-port 43300
import solc from 'solc';
import { Contract, ContractFactory, JsonRpcProvider, Wallet } from 'ethers';

const source = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Counter {
    uint256 public count;
    event Incremented(address by, uint256 count);
    function increment() external { count += 1; emit Incremented(msg.sender, count); }
}`;

// The chain runs the Cancun EVM; solc 0.8.37 would target Osaka by default.
const input = { language: 'Solidity', sources: { 'Counter.sol': { content: source } }, settings: { evmVersion: 'cancun', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } };
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const { abi, evm } = output.contracts['Counter.sol'].Counter;

const base = Number(process.env.BSN_BASE_PORT ?? 27000);
// ethers caches identical requests for 250 ms; a chain that commits faster needs the cache off.
const node1 = new JsonRpcProvider(`http://127.0.0.1:${base + 2}/apps/demo/rpc`, undefined, { cacheTimeout: -1 });
const node4 = new JsonRpcProvider(`http://127.0.0.1:${base + 32}/apps/demo/rpc`, undefined, { cacheTimeout: -1 });
// Account #0 of the development mnemonic that `bsn up` funds (public, for local use only).
const wallet = new Wallet('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', node1);

console.log(`chain id ${(await node1.getNetwork()).chainId}, deployer ${wallet.address}`);
const counter = await new ContractFactory(abi, evm.bytecode.object, wallet).deploy();
await counter.waitForDeployment();
console.log(`Counter deployed at ${await counter.getAddress()}`);
const receipt = await (await counter.increment()).wait();
console.log(`increment() committed in block ${receipt.blockNumber}, event ${counter.interface.parseLog(receipt.logs[0]).name}`);
const fromNode4 = new Contract(await counter.getAddress(), abi, node4);
console.log(`count read from node4: ${await fromNode4.count()}`);
node1.destroy();
node4.destroy();
