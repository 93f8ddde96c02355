#!/usr/bin/env node
// An independent client of Civic Ledger, in JavaScript: it verifies a disclosure bundle and a trail
// bundle against the chain with the public libraries alone (ethers, @openzeppelin/merkle-tree),
// using only what a node publishes (GET /contracts for the ABIs, the formats in docs/FORMATS.md).
// It trusts no node: the node is asked for ABIs and addresses only, and every check reads the chain.
//
//   node examples/verify.mjs --api http://127.0.0.1:8000 --rpc http://127.0.0.1:8545 \
//        [--disclosure read.json] [--trail trail.json]
//
// Prints a JSON report; exits 1 naming the first check that failed.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Contract, JsonRpcProvider, TypedDataEncoder, keccak256, recoverAddress, toUtf8Bytes,
  verifyTypedData } from "ethers";

const ROLE_ANCHOR = 16n;

class Failed extends Error {
  constructor(check, message) { super(message); this.check = check; }
}

/** RFC 8785 (JCS): keys sorted by UTF-16 code units; ECMAScript number and string serialisation. */
export function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
}

const lower = (x) => String(x).toLowerCase();

async function contracts(api, provider) {
  const listed = await (await fetch(`${api}/contracts`)).json();
  const byName = Object.fromEntries(listed.map((c) => [c.name, new Contract(c.address, c.abi, provider)]));
  return { byName, abi: Object.fromEntries(listed.map((c) => [c.name, c.abi])) };
}

/** A disclosure bundle (civic-ledger/disclosure@1): each field's leaf proves into the commitment the chain holds. */
async function verifyDisclosure(bundle, c, chainId) {
  if (bundle.schema !== "civic-ledger/disclosure@1") throw new Failed("disclosure.schema", "not a disclosure bundle");
  if (BigInt(bundle.chainId) !== chainId) throw new Failed("disclosure.chain", "the bundle is for another chain");
  const registry = c.byName.RecordRegistry;
  if (lower(await registry.getAddress()) !== lower(bundle.recordRegistry)) {
    throw new Failed("disclosure.registry", "the bundle names another record registry than the consortium's");
  }
  const onChain = await registry.commitmentOf(bundle.recordId, bundle.version);
  if (lower(onChain) !== lower(bundle.commitment)) throw new Failed("disclosure.commitment", "the commitment is not the chain's");
  const fields = {};
  for (const f of bundle.fields) {
    const valueHash = keccak256(toUtf8Bytes(canonical(f.value)));
    if (!StandardMerkleTree.verify(bundle.commitment, ["bytes32", "string", "bytes32"], [f.salt, f.name, valueHash], f.proof)) {
      throw new Failed("disclosure.field", `field ${f.name} does not prove into the commitment`);
    }
    fields[f.name] = f.value;
  }
  return { ok: true, recordId: bundle.recordId, version: bundle.version, fields };
}

const READ_TYPES = { ReadRequest: [
  { name: "reader", type: "address" }, { name: "custodian", type: "bytes32" }, { name: "recordId", type: "bytes32" },
  { name: "fields", type: "string[]" }, { name: "purpose", type: "bytes32" }, { name: "grantId", type: "uint256" },
  { name: "emergencyId", type: "uint256" }, { name: "nonce", type: "bytes32" }, { name: "deadline", type: "uint64" }] };
const HEAD_TYPES = { TrailHead: [
  { name: "custodian", type: "bytes32" }, { name: "subject", type: "bytes32" }, { name: "lastSeq", type: "uint64" },
  { name: "count", type: "uint64" }, { name: "issuedAt", type: "uint64" }] };

/** The body's anchors as the chain's logs hold them, contiguous from 1. */
async function chainAnchors(trail, body) {
  const iface = trail.interface;
  const address = await trail.getAddress();
  const batches = await trail.runner.provider.getLogs({ address, fromBlock: 0,
    topics: [iface.getEvent("AccessBatchAnchored").topicHash, body] });
  const singles = await trail.runner.provider.getLogs({ address, fromBlock: 0,
    topics: [iface.getEvent("AccessEventAnchored").topicHash, body] });
  const anchors = [
    ...batches.map((l) => iface.parseLog(l)).map((p) => ({ first: Number(p.args.firstSeq), last: Number(p.args.lastSeq), root: lower(p.args.root), kind: "batch" })),
    ...singles.map((l) => iface.parseLog(l)).map((p) => ({ first: Number(p.args.seq), last: Number(p.args.seq), root: lower(p.args.eventHash), kind: "event" })),
  ].sort((a, b) => a.first - b.first);
  let expected = 1;
  for (const a of anchors) {
    if (a.first !== expected) throw new Failed("trail.anchors", `the chain's anchors are not contiguous at ${expected}`);
    expected = a.last + 1;
  }
  return { anchors, through: expected - 1 };
}

/** A trail bundle (civic-ledger/trail@1): hashes, signatures, proofs, the subject's chain and the signed head. */
async function verifyTrail(bundle, c, chainId) {
  if (bundle.schema !== "civic-ledger/trail@1") throw new Failed("trail.schema", "not a trail bundle");
  if (BigInt(bundle.chainId) !== chainId) throw new Failed("trail.chain", "the bundle is for another chain");
  const trail = c.byName.AccessTrail;
  const accessTrail = await trail.getAddress();
  const { anchors, through } = await chainAnchors(trail, bundle.custodian);
  const readDomain = { name: "CivicLedgerRead", version: "1", chainId, verifyingContract: accessTrail };
  let previous = 0, anchored = 0;
  const chains = new Map(); // the last event of each chain: the open one (0), and one per seal (sealId)
  for (const e of [...bundle.events].sort((a, b) => a.seq - b.seq)) {
    const content = { ...e };
    delete content.request; delete content.eventHash; delete content.proof;
    if (lower(keccak256(toUtf8Bytes(canonical(content)))) !== lower(e.eventHash)) {
      throw new Failed("trail.event_hash", `event ${e.seq}: its hash does not match its content`);
    }
    const digest = TypedDataEncoder.hash(readDomain, READ_TYPES, e.request);
    if (lower(digest) !== lower(e.requestDigest) || lower(recoverAddress(digest, e.signature)) !== lower(e.reader)) {
      throw new Failed("trail.signature", `event ${e.seq}: the read request is not signed by its reader`);
    }
    const seal = e.sealId ?? 0;
    if (e.subjectPrev !== (chains.get(seal) ?? 0)) {
      throw new Failed("trail.subject_chain", `event ${e.seq}: an event is missing or added`);
    }
    chains.set(seal, e.seq);
    previous = e.seq;
    if (e.seq > through || e.proof == null) continue; // not anchored yet, or not yet settled at the node
    const a = anchors.find((x) => x.first <= e.seq && e.seq <= x.last);
    const ok = a.kind === "event" ? lower(e.eventHash) === a.root
      : StandardMerkleTree.verify(a.root, ["uint64", "bytes32"], [e.seq, e.eventHash], e.proof || []);
    if (!ok) throw new Failed("trail.proof", `event ${e.seq}: its proof does not lead to the root on-chain`);
    anchored += 1;
  }
  const head = bundle.head.message;
  if (Number(head.lastSeq) !== previous || Number(head.count) !== bundle.events.length
      || lower(head.subject) !== lower(bundle.subject) || lower(head.custodian) !== lower(bundle.custodian)) {
    throw new Failed("trail.head", "the node's signed head does not end where the bundle ends");
  }
  const signer = verifyTypedData({ name: "CivicLedgerTrail", version: "1", chainId, verifyingContract: accessTrail },
    HEAD_TYPES, head, bundle.head.signature);
  const [body, roles] = await c.byName.BodyRegistry.memberOf(signer);
  if (lower(body) !== lower(bundle.custodian) || (BigInt(roles) & ROLE_ANCHOR) === 0n) {
    throw new Failed("trail.head", "the head is not signed by an anchor account of the body");
  }
  return { ok: true, events: bundle.events.length, anchored, anchoredThrough: through };
}

async function main() {
  const { values } = parseArgs({ options: { api: { type: "string" }, rpc: { type: "string" },
    disclosure: { type: "string" }, trail: { type: "string" } } });
  if (!values.api || !values.rpc) throw new Failed("usage", "give --api URL and --rpc URL");
  const provider = new JsonRpcProvider(values.rpc, undefined, { staticNetwork: true });
  const chainId = BigInt(await provider.send("eth_chainId", []));
  const c = await contracts(values.api, provider);
  const report = { ok: true };
  if (values.disclosure) report.disclosure = await verifyDisclosure(JSON.parse(readFileSync(values.disclosure)), c, chainId);
  if (values.trail) report.trail = await verifyTrail(JSON.parse(readFileSync(values.trail)), c, chainId);
  console.log(JSON.stringify(report, null, 2));
}

main().catch((err) => {
  console.log(JSON.stringify({ ok: false, check: err.check || "unexpected", message: err.message }, null, 2));
  process.exit(1);
});
