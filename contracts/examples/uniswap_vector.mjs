#!/usr/bin/env node
// Writes the end-to-end example vector vectors/ovm/uniswap_eth_for_token.json from the compiled
// example artifacts (contracts/artifacts/examples): the pre-state storage of WETH9, Token and
// Exchange, the two transaction variants, and each post entry's `expect`, with the swap's output
// computed here with the exchange's own formula.
//
//   node contracts/examples/uniswap_vector.mjs [out.json]
//
// The file it writes has no "hash"/"logs" yet; run `cargo xtask fill vectors/ovm/uniswap_eth_for_token.json`
// afterwards, which runs the case natively, checks every `expect`, and records them.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { keccak256 } = require('js-sha3');

const CONTRACTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(CONTRACTS_DIR, '..');
const ARTIFACTS = 'contracts/artifacts/examples';
const OUT = process.argv[2] ?? path.join(ROOT, 'vectors/ovm/uniswap_eth_for_token.json');

const artifact = (name) => JSON.parse(fs.readFileSync(path.join(ROOT, ARTIFACTS, `${name}.json`), 'utf8'));
const weth9 = artifact('WETH9');
const token = artifact('Token');
const exchange = artifact('Exchange');

// Accounts.
const USER = '0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b';
const USER_KEY = '0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8';
const WETH_ADDR = '0x1000000000000000000000000000000000000010';
const TOKEN_ADDR = '0x1000000000000000000000000000000000000011';
const EXCHANGE_ADDR = '0x1000000000000000000000000000000000000012';

// Storage layouts, as documented in the sources.
const BALANCE_OF_SLOT = 0n; // WETH9 and Token: mapping(address => uint256) balanceOf
const TOKEN_TOTAL_SUPPLY_SLOT = 2n;
const EX_TOKEN = 0n;
const EX_WETH = 1n;
const EX_WETH_RESERVE = 2n;
const EX_TOKEN_RESERVE = 3n;

// The market: 10 WETH against 20,000 tokens, all tokens held by the exchange; the user sells 1 ETH.
const ETHER = 10n ** 18n;
const WETH_RESERVE = 10n * ETHER;
const TOKEN_RESERVE = 20_000n * ETHER;
const TOKEN_SUPPLY = TOKEN_RESERVE;
const AMOUNT_IN = 1n * ETHER;

// Exchange.getInputPrice.
const TOKENS_OUT = (AMOUNT_IN * 997n * TOKEN_RESERVE) / (WETH_RESERVE * 1000n + AMOUNT_IN * 997n);

const word = (n) => n.toString(16).padStart(64, '0');
const hex = (n) => {
  const h = n.toString(16);
  return `0x${h.length % 2 ? `0${h}` : h}`;
};
/** keccak256(abi.encode(key, slot)) for an address key. */
const mappingSlot = (address, slot) => `0x${keccak256(Buffer.from(word(BigInt(address)) + word(slot), 'hex'))}`;
const selector = (signature) => keccak256(signature).slice(0, 8);

const swapCall = (minTokens) => `0x${selector('ethToTokenSwap(uint256)')}${word(minTokens)}`;

const userTokenSlot = mappingSlot(USER, BALANCE_OF_SLOT);
const exchangeTokenSlot = mappingSlot(EXCHANGE_ADDR, BALANCE_OF_SLOT);
const exchangeWethSlot = mappingSlot(EXCHANGE_ADDR, BALANCE_OF_SLOT);

const account = (balance, code, storage) => ({ balance: hex(balance), code, nonce: '0x00', storage });

const pre = {
  [USER]: account(1000n * ETHER, '0x', {}),
  [WETH_ADDR]: account(WETH_RESERVE, weth9.deployedBytecode, {
    [exchangeWethSlot]: hex(WETH_RESERVE),
  }),
  [TOKEN_ADDR]: account(0n, token.deployedBytecode, {
    [exchangeTokenSlot]: hex(TOKEN_RESERVE),
    [hex(TOKEN_TOTAL_SUPPLY_SLOT)]: hex(TOKEN_SUPPLY),
  }),
  [EXCHANGE_ADDR]: account(0n, exchange.deployedBytecode, {
    [hex(EX_TOKEN)]: TOKEN_ADDR,
    [hex(EX_WETH)]: WETH_ADDR,
    [hex(EX_WETH_RESERVE)]: hex(WETH_RESERVE),
    [hex(EX_TOKEN_RESERVE)]: hex(TOKEN_RESERVE),
  }),
};

/** What the three contracts hold after a swap of `ethIn` for `out` tokens (0, 0: the pre-state). */
const expectAfter = (ethIn, out) => ({
  [USER]: { nonce: '0x01' },
  [WETH_ADDR]: {
    balance: hex(WETH_RESERVE + ethIn),
    storage: { [exchangeWethSlot]: hex(WETH_RESERVE + ethIn) },
  },
  [TOKEN_ADDR]: {
    balance: '0x00',
    storage: {
      [userTokenSlot]: hex(out),
      [exchangeTokenSlot]: hex(TOKEN_RESERVE - out),
      [hex(TOKEN_TOTAL_SUPPLY_SLOT)]: hex(TOKEN_SUPPLY),
    },
  },
  [EXCHANGE_ADDR]: {
    balance: '0x00',
    storage: {
      [hex(EX_TOKEN)]: TOKEN_ADDR,
      [hex(EX_WETH)]: WETH_ADDR,
      [hex(EX_WETH_RESERVE)]: hex(WETH_RESERVE + ethIn),
      [hex(EX_TOKEN_RESERVE)]: hex(TOKEN_RESERVE - out),
    },
  },
});

const vector = {
  uniswap_eth_for_token: {
    _info: {
      comment:
        `The design's end-to-end example: a user sells 1 ETH to a Uniswap-v1-style exchange for tokens. ` +
        `Exchange.ethToTokenSwap(minTokens) wraps msg.value into WETH (WETH9.deposit with value), prices ` +
        `the swap as tokensOut = amountIn*997*tokenReserve / (wethReserve*1000 + amountIn*997) against ` +
        `reserves of ${WETH_RESERVE / ETHER} WETH and ${TOKEN_RESERVE / ETHER} tokens (${TOKENS_OUT} token units out), ` +
        `updates its reserves, sends the tokens with Token.transfer and logs Swap. ` +
        `Data 0 asks for minTokens = exactly that amount and succeeds (WETH Deposit, Token Transfer, Swap logs); ` +
        `data 1 asks for one unit more and reverts with "Exchange: below minTokens", discarding the deposit ` +
        `and every storage write (the sender's nonce still counts). ` +
        `Addresses: WETH9 ${WETH_ADDR}, Token ${TOKEN_ADDR}, Exchange ${EXCHANGE_ADDR}; the contracts have no ` +
        `constructors, so the pre-state holds their runtime code and storage directly (layouts in the sources). ` +
        `Regenerate with node contracts/examples/uniswap_vector.mjs, then cargo xtask fill.`,
      source: [`${ARTIFACTS}/WETH9.json`, `${ARTIFACTS}/Token.json`, `${ARTIFACTS}/Exchange.json`],
      generator: 'contracts/examples/uniswap_vector.mjs',
      solc: exchange.solc,
      // Compiled Solidity reads GAS for its external calls: a gas vector (crates/l2/tests/ovm_vectors.rs).
      gas: true,
    },
    env: {
      currentCoinbase: '0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba',
      currentDifficulty: '0x00',
      currentGasLimit: '0x05f5e100',
      currentNumber: '0x01',
      currentTimestamp: '0x03e8',
      currentBaseFee: '0x0a',
      currentRandom: '0x0000000000000000000000000000000000000000000000000000000000020000',
      currentExcessBlobGas: '0x00',
    },
    pre,
    transaction: {
      data: [swapCall(TOKENS_OUT), swapCall(TOKENS_OUT + 1n)],
      gasLimit: [hex(200_000n)],
      gasPrice: '0x0a',
      nonce: '0x00',
      secretKey: USER_KEY,
      sender: USER,
      to: EXCHANGE_ADDR,
      value: [hex(AMOUNT_IN)],
    },
    post: {
      Cancun: [
        { indexes: { data: 0, gas: 0, value: 0 }, expect: expectAfter(AMOUNT_IN, TOKENS_OUT) },
        { indexes: { data: 1, gas: 0, value: 0 }, expect: expectAfter(0n, 0n) },
      ],
    },
  },
};

fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, `${JSON.stringify(vector, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), OUT)}: 1 ETH in, ${TOKENS_OUT} token units out (${hex(TOKENS_OUT)})`);
