// The draw ceremony in the party's own browser (docs/draw.md, service/web/draws.py).
//
// The secret is made HERE, with crypto.getRandomValues, never by the server: a server
// that made or saw a secret before its reveal could steer the draw. Only the commitment
// leaves this machine before the reveal. The commitment is exactly
// assignment.ceremony.secret_commitment: sha256 of the text
//   "xuncha-draw-commit-v1\nspec <spec sha256>\nsecret <secret>\n"
// computed with the vendored @noble/hashes (crypto.subtle exists only on https or
// localhost; offices may serve plain http on an intranet address).
//
// The secret is kept in this browser's localStorage under the draw, its specification and
// the account, until the reveal succeeds; the party is also offered a download, a print
// and a copy. A pasted secret is checked against the party's commitment before it is sent.

import { sha256 } from "./vendor/noble-hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "./vendor/noble-hashes/utils.js";

const COMMIT_DOMAIN = "xuncha-draw-commit-v1";
const SECRET = /^[0-9a-f]{32,128}$/;
const DIGEST = /^[0-9a-f]{64}$/;

/** The commitment of `secret` to the specification `spec` (both lowercase hex). */
export function commitment(spec, secret) {
  if (typeof spec !== "string" || !DIGEST.test(spec)) {
    throw new Error("规格哈希须为64位小写十六进制 / the specification hash is 64 lowercase hex digits");
  }
  if (typeof secret !== "string" || !SECRET.test(secret)) {
    throw new Error("秘密值须为32–128位小写十六进制数字 / a secret is 32–128 lowercase hex digits");
  }
  return bytesToHex(sha256(utf8ToBytes(`${COMMIT_DOMAIN}\nspec ${spec}\nsecret ${secret}\n`)));
}

/** A fresh 256-bit secret: 64 lowercase hex digits from the browser's CSPRNG. */
export function newSecret() {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return bytesToHex(bytes);
}

function storageKey(box) {
  return `xuncha-draw-secret:${box.dataset.draw}:${box.dataset.spec}:${box.dataset.account}`;
}

function kept(box) {
  try {
    const raw = window.localStorage.getItem(storageKey(box));
    const entry = raw ? JSON.parse(raw) : null;
    return entry && typeof entry.secret === "string" ? entry : null;
  } catch (_) {
    return null; // storage off or unreadable: the party pastes the secret instead
  }
}

function keep(box, secret, made) {
  try {
    window.localStorage.setItem(storageKey(box), JSON.stringify({
      secret, commitment: made, spec: box.dataset.spec, draw: box.dataset.draw,
      role: box.dataset.role, madeAt: new Date().toISOString(),
    }));
    return true;
  } catch (_) {
    return false;
  }
}

function forget(box) {
  try {
    window.localStorage.removeItem(storageKey(box));
  } catch (_) { /* nothing kept */ }
}

function say(element, text) {
  if (element) element.textContent = text;
}

function download(box, secret) {
  const blob = new Blob([`${secret}\n`], { type: "text/plain" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `draw-${box.dataset.draw}-${box.dataset.role}.secret`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 5000);
}

async function copy(input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      return true;
    }
  } catch (_) { /* fall back below */ }
  input.focus();
  input.select();
  return document.execCommand("copy");
}

function setUpCommit(box) {
  const maker = document.getElementById("draw-maker");
  const make = document.getElementById("draw-make");
  const made = document.getElementById("draw-made");
  const out = document.getElementById("draw-secret-out");
  const notice = document.getElementById("draw-notice");
  const keptBox = document.getElementById("draw-kept");
  const field = document.getElementById("commitment");
  const form = document.getElementById("draw-commit-form");
  if (!maker || !make || !made || !out || !field || !form) return;
  maker.hidden = false;
  let generatedHere = false;

  function show(secret, digest) {
    out.value = secret;
    field.value = digest;
    made.hidden = false;
    make.hidden = true;
    generatedHere = true;
  }

  const earlier = kept(box);
  if (earlier && earlier.spec === box.dataset.spec) {
    show(earlier.secret, commitment(box.dataset.spec, earlier.secret));
    say(notice, "本浏览器已为本次抽取保存过一个秘密值，已取回；请保存后提交承诺。/ This browser had kept a secret for this draw; it is shown again: keep it, then commit.");
  }
  make.addEventListener("click", () => {
    const secret = newSecret();
    const digest = commitment(box.dataset.spec, secret);
    const stored = keep(box, secret, digest);
    show(secret, digest);
    say(notice, stored
      ? "秘密值已生成并保存在本浏览器中。/ Your secret is made and kept in this browser."
      : "本浏览器不能保存秘密值：请务必下载或抄写保存。/ This browser cannot keep it: download or write it down.");
  });
  document.getElementById("draw-download")?.addEventListener("click", () => {
    download(box, out.value);
    say(notice, "已下载秘密值文件。/ The secret file is downloaded.");
  });
  document.getElementById("draw-copy")?.addEventListener("click", async () => {
    const ok = await copy(out);
    say(notice, ok ? "已复制。/ Copied." : "无法自动复制，请手动选中后复制。/ Select it and copy it by hand.");
  });
  document.getElementById("draw-print")?.addEventListener("click", () => window.print());
  form.addEventListener("submit", (event) => {
    if (generatedHere && field.value === commitment(box.dataset.spec, out.value) &&
        keptBox && !keptBox.checked) {
      event.preventDefault();
      say(notice, "请先保存秘密值并勾选“我已保存秘密值”：揭示时必须用到它。/ Keep your secret and tick “I have kept my secret” first: you need it to reveal.");
      keptBox.focus();
    }
  });
}

function setUpReveal(box) {
  const field = document.getElementById("secret");
  const check = document.getElementById("draw-secret-check");
  if (!field) return;
  const expected = box.dataset.commitment;

  function verify() {
    const secret = field.value.trim();
    if (!secret) {
      say(check, "");
      return;
    }
    let digest;
    try {
      digest = commitment(box.dataset.spec, secret);
    } catch (error) {
      say(check, error.message);
      return;
    }
    say(check, digest === expected
      ? "与本方承诺相符。/ It matches your commitment."
      : "与本方承诺不符：请核对是否为本次抽取保存的秘密值。/ It does not match your commitment: is it the secret kept for this draw?");
  }

  const earlier = kept(box);
  if (!field.value && earlier) {
    field.value = earlier.secret;
  }
  field.addEventListener("input", verify);
  verify();
  if (earlier && field.value === earlier.secret) {
    say(check, `${check ? check.textContent : ""} 已从本浏览器取回秘密值。/ Filled in from this browser.`);
  }
}

function start() {
  const box = document.getElementById("draw-party");
  if (!box) return;
  if (box.dataset.revealed === "true" || box.dataset.stage === "closed") {
    forget(box); // revealed (public now), or the ceremony is over: nothing to keep
  }
  if (box.dataset.stage === "commit") setUpCommit(box);
  if (box.dataset.stage === "reveal") setUpReveal(box);
}

// for the browser test, which compares this commitment with Python's
window.xunchaDraw = { commitment, newSecret };
start();
