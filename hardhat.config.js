// Hardhat 2 configuration for Civic Ledger.
//
// Offline: Hardhat normally downloads its compiler; here the compiler lookup subtask
// returns the npm `solc` pinned by package-lock.json (solc-js), so `npx hardhat compile`
// uses exactly the compiler and settings (contracts/settings.json) that the Python side
// uses through py-solc-x and scripts/solc. The node's chain id, block time and account
// count come from the variables `ledger node up --kind hardhat` sets.
const path = require("path");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");

const solcPackage = require("solc/package.json");
const settings = require("./contracts/settings.json");

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, hre, runSuper) => {
  if (args.solcVersion !== solcPackage.version) return runSuper();
  const solc = require("solc");
  return {
    compilerPath: path.join(path.dirname(require.resolve("solc")), "soljson.js"),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: solc.version(),
  };
});

const blockTimeMs = Number(process.env.LEDGER_BLOCK_TIME_MS || 0);

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  solidity: {
    version: solcPackage.version,
    settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion, metadata: settings.metadata },
  },
  paths: { sources: "./contracts", artifacts: "./build/hardhat/artifacts", cache: "./build/hardhat/cache" },
  networks: {
    hardhat: {
      chainId: Number(process.env.LEDGER_CHAIN_ID || 31337),
      hardfork: "shanghai",
      accounts: {
        // Well-known development mnemonic (public; local node only).
        mnemonic: "test test test test test test test test test test test junk",
        count: Number(process.env.LEDGER_DEV_ACCOUNTS || 30),
      },
      mining: blockTimeMs > 0 ? { auto: false, interval: blockTimeMs } : { auto: true },
    },
  },
};
