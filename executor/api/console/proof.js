// Steward console, part 2: checking audit entries and their inclusion proofs in the browser (Web Crypto).
"use strict";

async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }

function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function toHex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""); }

async function nodeHash(left, right) {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 33);
  return sha256(buf);
}

// RFC 9162 2.1.3.2: the root an inclusion proof leads to, from the leaf hash up.
async function rootFromProof(leafHex, index, size, proofHex) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = fromHex(leafHex);
  for (const hex of proofHex) {
    const p = fromHex(hex);
    if (sn === 0n) throw new Error("proof too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("proof too short");
  return toHex(r);
}

// RFC 8785 canonical JSON, as the audit log hashes it (audit/canonical.py): sorted keys, no whitespace,
// ECMAScript number form. Integers beyond 2^53 do not survive JSON.parse: such an entry would not match.
function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
}

// The entry's hash recomputed from its fields: SHA-256(0x00 || canonical body without "hash").
async function entryHash(e) {
  const body = canonical({ action_id: e.action_id, actor: e.actor, payload: e.payload, prev_hash: e.prev_hash,
    seq: e.seq, ts: e.ts, type: e.type });
  const bytes = new TextEncoder().encode(body);
  const buf = new Uint8Array(bytes.length + 1);
  buf.set(bytes, 1);
  return toHex(await sha256(buf));
}

async function checkProofs(timeline) {
  const cp = timeline.checkpoint;
  const out = { hashed: 0, changed: 0, checked: 0, ok: 0, pending: 0, unavailable: false };
  if (!window.crypto || !crypto.subtle) return { ...out, unavailable: true };
  for (const item of timeline.entries) {
    out.hashed++;
    if (await entryHash(item.event) !== item.event.hash) { out.changed++; continue; }
    if (!item.proof || !cp) { out.pending++; continue; }
    out.checked++;
    try {
      if (await rootFromProof(item.event.hash, item.event.seq, cp.size, item.proof) === cp.root) out.ok++;
    } catch (_) { /* counted as not ok */ }
  }
  return out;
}
