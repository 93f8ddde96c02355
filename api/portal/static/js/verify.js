// Verification in the browser, trusting no node: what the node served is checked against the chain,
// read over JSON-RPC from an endpoint the reader chooses (not the node that served the data).
//
// An access event (the checks of `ledger verify trail`, for one event):
//   1. its hash: keccak256 of the RFC 8785 canonical JSON of its content;
//   2. the reader's signature: the EIP-712 digest of the signed ReadRequest, recovered to the reader,
//      and the request asks for what the event says was read;
//   3. its inclusion proof: the StandardMerkleTree leaf (uint64 seq, bytes32 eventHash) leads to the
//      root anchored on-chain (AccessBatchAnchored, or AccessEventAnchored for an event alone);
//   4. the node's signed head: an EIP-712 TrailHead of this resident's trail, reaching this event,
//      signed by an account holding the body's anchor role on-chain.
// A disclosed field: its leaf (bytes32 salt, string name, bytes32 keccak256(RFC 8785 value)) leads to
// the commitment, and the chain's commitment of that record version is the same.

import { ethers } from "./wallet.js";

const ROLE_ANCHOR = 16n;
const TRAIL_ABI = [
  "event AccessEventAnchored(bytes32 indexed body, uint64 indexed seq, bytes32 eventHash)",
  "event AccessBatchAnchored(bytes32 indexed body, uint64 indexed firstSeq, uint64 lastSeq, bytes32 root)",
];
const BODIES_ABI = ["function memberOf(address account) view returns (bytes32 body, uint8 roles)"];
const RECORDS_ABI = ["function commitmentOf(bytes32 recordId, uint32 version) view returns (bytes32)"];
const READ_TYPES = {
  ReadRequest: [
    { name: "reader", type: "address" }, { name: "custodian", type: "bytes32" },
    { name: "recordId", type: "bytes32" }, { name: "fields", type: "string[]" },
    { name: "purpose", type: "bytes32" }, { name: "grantId", type: "uint256" },
    { name: "emergencyId", type: "uint256" }, { name: "nonce", type: "bytes32" },
    { name: "deadline", type: "uint64" },
  ],
};
const HEAD_TYPES = {
  TrailHead: [
    { name: "custodian", type: "bytes32" }, { name: "subject", type: "bytes32" },
    { name: "lastSeq", type: "uint64" }, { name: "count", type: "uint64" }, { name: "issuedAt", type: "uint64" },
  ],
};

/** RFC 8785 (JCS): object keys sorted by UTF-16 code units, ECMAScript number and string forms. */
export function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
}

function lower(x) { return String(x).toLowerCase(); }

/** Commutative keccak of sorted pairs (OpenZeppelin MerkleProof.processProof). */
function processProof(e, leaf, proof) {
  let node = leaf;
  for (const step of proof) {
    const [a, b] = lower(node) < lower(step) ? [node, step] : [step, node];
    node = e.keccak256(e.concat([a, b]));
  }
  return lower(node);
}

function standardLeaf(e, types, values) {
  return e.keccak256(e.keccak256(e.AbiCoder.defaultAbiCoder().encode(types, values)));
}

function codeId(e, code) { return lower(e.hexlify(e.zeroPadBytes(e.toUtf8Bytes(code), 32)).padEnd(66, "0")); }

export async function chainProvider(url, expectChainId) {
  const e = await ethers();
  const provider = new e.JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1 });
  const id = BigInt(await provider.send("eth_chainId", []));
  if (id !== BigInt(expectChainId)) return { e, provider, wrongChain: id };
  return { e, provider };
}

/** What the checks of one page's entries share: one connection to the ledger, each anchor's logs and each signed
 * head asked once (a page's entries mostly sit in a few batches under one head). Without it, nothing is reused. */
export function checkCache() {
  const memo = new Map();
  return (key, make) => { if (!memo.has(key)) memo.set(key, make().catch((err) => { memo.delete(key); throw err; })); return memo.get(key); };
}

const once = (cache) => cache || ((_key, make) => make());

/** Each check of one trail event: [{check, ok, detail}], in the order of the module doc. `cache` (checkCache()):
 * reuse what other entries of the same page already asked the ledger. */
export async function verifyEvent(material, chainUrl, cache = null) {
  const shared = once(cache);
  const results = [];
  const add = (check, ok, detail = "") => { results.push({ check, ok, detail }); return ok; };
  const ev = material.event;
  const accessTrail = material.contracts.AccessTrail;
  let chain;
  try {
    chain = await shared(`chain:${chainUrl}:${material.chainId}`, () => chainProvider(chainUrl, material.chainId));
  } catch (err) {
    add("chain", false, "unreachable");
    return results;
  }
  const { e, provider } = chain;
  if (chain.wrongChain !== undefined) {
    add("chain", false, "wrong_chain");
    return results;
  }
  // 1. the event's hash
  const content = { ...ev };
  delete content.request; delete content.eventHash; delete content.proof;
  add("hash", lower(e.keccak256(e.toUtf8Bytes(canonical(content)))) === lower(ev.eventHash));
  // 2. the reader's signature over the read request, and the request names this read
  const domain = { name: "CivicLedgerRead", version: "1", chainId: material.chainId, verifyingContract: accessTrail };
  let signed = false;
  try {
    const digest = e.TypedDataEncoder.hash(domain, READ_TYPES, ev.request);
    const m = ev.request;
    const same = lower(digest) === lower(ev.requestDigest)
      && lower(e.recoverAddress(digest, ev.signature)) === lower(ev.reader)
      && lower(m.reader) === lower(ev.reader) && lower(m.custodian) === lower(ev.body)
      && lower(m.recordId) === lower(ev.recordId) && canonical([...m.fields].sort()) === canonical([...ev.fields].sort())
      && lower(m.purpose) === codeId(e, ev.purpose) && BigInt(m.grantId) === BigInt(ev.grantId)
      && BigInt(m.emergencyId) === BigInt(ev.emergencyId);
    signed = same;
  } catch (err) {
    signed = false;
  }
  add("signature", signed);
  // 3. the inclusion proof against the root the chain holds
  if (!material.anchor) {
    add("proof", false, "pending");
  } else {
    try {
      const iface = new e.Interface(TRAIL_ABI);
      const batch = material.anchor.kind === "batch";
      const event = iface.getEvent(batch ? "AccessBatchAnchored" : "AccessEventAnchored");
      const topics = [event.topicHash, lower(ev.body), e.zeroPadValue(e.toBeHex(material.anchor.firstSeq), 32)];
      const logs = await shared(`logs:${accessTrail}:${topics.join(",")}`,
        () => provider.getLogs({ address: accessTrail, topics, fromBlock: 0, toBlock: "latest" }));
      let ok = false;
      for (const log of logs) {
        const parsed = iface.parseLog(log);
        if (batch) {
          const last = Number(parsed.args.lastSeq);
          const root = processProof(e, standardLeaf(e, ["uint64", "bytes32"], [ev.seq, ev.eventHash]), ev.proof || []);
          ok = ok || (ev.seq >= material.anchor.firstSeq && ev.seq <= last && root === lower(parsed.args.root));
        } else {
          ok = ok || lower(parsed.args.eventHash) === lower(ev.eventHash);
        }
      }
      add("proof", ok, logs.length ? "" : "no_anchor");
    } catch (err) {
      add("proof", false, "unreachable");
    }
  }
  // 4. the node's signed head: this resident, this body, reaching this event, by the body's anchor account
  try {
    const head = material.head.message;
    const hdomain = { name: "CivicLedgerTrail", version: "1", chainId: material.chainId, verifyingContract: accessTrail };
    const [signer, body, roles] = await shared(`head:${material.head.signature}:${canonical(head)}`, async () => {
      const who = e.verifyTypedData(hdomain, HEAD_TYPES, head, material.head.signature);
      const bodies = new e.Contract(material.contracts.BodyRegistry, BODIES_ABI, provider);
      return [who, ...(await bodies.memberOf(who))];
    });
    add("head", lower(body) === lower(ev.body) && (BigInt(roles) & ROLE_ANCHOR) !== 0n
      && lower(head.custodian) === lower(ev.body) && lower(head.subject) === lower(ev.subjectId)
      && Number(head.lastSeq) >= ev.seq && Number(head.count) >= 1);
  } catch (err) {
    add("head", false);
  }
  return results;
}

/** Each disclosed field checked against the commitment, and the commitment against the chain. */
export async function verifyDisclosure(bundle, chainUrl, chainId) {
  const chain = await chainProvider(chainUrl, chainId ?? bundle.chainId);
  const { e, provider } = chain;
  if (chain.wrongChain !== undefined) return { onChain: false, fields: {} };
  const registry = new e.Contract(bundle.recordRegistry, RECORDS_ABI, provider);
  let onChain = false;
  try {
    onChain = lower(await registry.commitmentOf(bundle.recordId, bundle.version)) === lower(bundle.commitment);
  } catch (err) {
    onChain = false;
  }
  const fields = {};
  for (const f of bundle.fields) {
    const valueHash = e.keccak256(e.toUtf8Bytes(canonical(f.value)));
    const leaf = standardLeaf(e, ["bytes32", "string", "bytes32"], [f.salt, f.name, valueHash]);
    fields[f.name] = onChain && processProof(e, leaf, f.proof) === lower(bundle.commitment);
  }
  return { onChain, fields };
}

/** keccak256(salt ‖ UTF-8 text) equals the on-chain hash: the node shows the text that was signed. */
export async function textMatches(kept, onChainHash) {
  const e = await ethers();
  return lower(e.keccak256(e.concat([kept.salt, e.toUtf8Bytes(kept.text)]))) === lower(onChainHash);
}
