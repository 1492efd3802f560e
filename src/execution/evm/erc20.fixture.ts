import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * A minimal ERC-20 (no OpenZeppelin) compiled in-process with the `solc` npm package, for the
 * tests and the benchmark. Loading soljson takes seconds, so the artifact is cached in a temp
 * directory keyed by the source and the compiler version.
 */

export const TOKEN_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract Token {
    string public name;
    string public symbol;
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    error InsufficientBalance(uint256 available, uint256 required);

    constructor(string memory name_, string memory symbol_, uint256 supply) {
        name = name_;
        symbol = symbol_;
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= value, "allowance exceeded");
        allowance[from][msg.sender] = allowed - value;
        _move(from, to, value);
        return true;
    }

    /** Spins until out of gas: for the out-of-gas tests. */
    function burn(uint256 rounds) external returns (uint256 acc) {
        for (uint256 i = 0; i < rounds; i++) acc = uint256(keccak256(abi.encode(acc, i)));
    }

    function _move(address from, address to, uint256 value) private {
        uint256 available = balanceOf[from];
        if (available < value) revert InsufficientBalance(available, value);
        balanceOf[from] = available - value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
`;

export interface Artifact {
  readonly abi: readonly unknown[];
  /** Creation bytecode, 0x-hex. */
  readonly bytecode: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

let memo: Artifact | undefined;

export function compileToken(): Artifact {
  if (memo) return memo;
  const require = createRequire(import.meta.url);
  const solcPackage = require('solc/package.json') as { version: string };
  const key = createHash('sha256').update(solcPackage.version).update(TOKEN_SOURCE).digest('hex').slice(0, 16);
  const dir = path.join(tmpdir(), 'bsn-solc-cache');
  const file = path.join(dir, `token-${key}.json`);
  try {
    memo = JSON.parse(readFileSync(file, 'utf8')) as Artifact;
    return memo;
  } catch {
    // not cached yet
  }
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'Token.sol': { content: TOKEN_SOURCE } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const token = output.contracts['Token.sol']!['Token']!;
  memo = { abi: token.abi, bytecode: `0x${token.evm.bytecode.object}` };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(memo));
  return memo;
}
