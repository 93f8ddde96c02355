// A person's own key in the browser: a keystore V3 file decrypted here, or an injected EIP-1193
// wallet. The key and the password never leave this page and are never stored: only the keystore
// file as it is (encrypted with the password, scrypt) is kept for this tab, so that after a reload
// the password alone unlocks it again. Signing out forgets both.
// Sign-in is EIP-4361 (personal_sign); every chain action and read is EIP-712, signed here.

import { api, PortalError, setToken } from "./app.js";

let signer = null; // ethers Signer, in memory only

export async function ethers() {
  return import("/vendor/ethers.js");
}

const KEPT = "cl.keystore"; // the encrypted keystore file, for this tab only (sessionStorage)

export function unlocked() { return signer; }
export function forget() { signer = null; sessionStorage.removeItem(KEPT); }
window.addEventListener("cl-signout", forget);

/** The keystore file kept for this tab, if any: after a reload, only its password is asked. */
export function keptKeystore() { return sessionStorage.getItem(KEPT); }

export async function fromKeystore(file, password) {
  let json;
  try {
    json = file === null ? keptKeystore() : await file.text();
    JSON.parse(json);
  } catch (e) {
    throw new PortalError("error.keystore_file");
  }
  const { Wallet } = await ethers();
  try {
    signer = await Wallet.fromEncryptedJson(json, password);
  } catch (e) {
    throw new PortalError("error.keystore_password");
  }
  sessionStorage.setItem(KEPT, json);
  return signer;
}

export function hasInjectedWallet() { return typeof window.ethereum !== "undefined"; }

export async function fromInjected() {
  if (!hasInjectedWallet()) throw new PortalError("error.no_wallet");
  const { BrowserProvider } = await ethers();
  const provider = new BrowserProvider(window.ethereum);
  await provider.send("eth_requestAccounts", []);
  signer = await provider.getSigner();
  return signer;
}

function iso(d) { return d.toISOString().replace(/\.\d{3}Z$/, "Z"); }

/** Sign-In with Ethereum: the node's nonce in an EIP-4361 message, signed with personal_sign. */
export async function signIn() {
  if (!signer) throw new PortalError("error.locked");
  const { getAddress } = await ethers();
  const n = await api("POST", "/auth/nonce");
  const address = getAddress(await signer.getAddress());
  const now = new Date();
  const text = [
    `${n.domain} wants you to sign in with your Ethereum account:`, address, "",
    "Sign in to Civic Ledger", "",
    `URI: ${n.uri}`, "Version: 1", `Chain ID: ${n.chainId}`, `Nonce: ${n.nonce}`,
    `Issued At: ${iso(now)}`, `Expiration Time: ${iso(new Date(now.getTime() + 300_000))}`,
  ].join("\n");
  const signature = await signer.signMessage(text);
  const out = await api("POST", "/auth/login", { message: text, signature });
  setToken(out.accessToken);
  return api("GET", "/auth/me");
}

/** This person's EIP-712 signature of typed data as the node prepared it (eth_signTypedData_v4). */
export async function signTyped(typed) {
  if (!signer) throw new PortalError("error.locked");
  const types = { ...typed.types };
  delete types.EIP712Domain;
  return signer.signTypedData(typed.domain, types, typed.message);
}

/** Prepare → sign → submit: one chain action as this person. */
export async function act(method, path, body) {
  const prepared = await api(method, path, body);
  const signature = await signTyped(prepared.typedData);
  return api("POST", "/tx/submit", { typedData: prepared.typedData, signature });
}

export function eventArg(submitted, event, arg) {
  const found = (submitted.logs || []).find((l) => l.event === event);
  return found ? found.args[arg] : undefined;
}
