// signet demo page: plain JS, no external resources (served with a strict CSP).
"use strict";

const $ = (id) => document.getElementById(id);
const other = { alice: "bob", bob: "alice" };
let me = sessionStorage.getItem("signet-demo-user") || "";
let latestKey = "";
let shortTimer = 0;

function say(id, text, cls) {
  const el = $(id);
  el.textContent = text;
  el.className = "status" + (cls ? " " + cls : "");
}

// api calls the issuer and returns {status, body}; errors keep the issuer's JSON error.
async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  return { status: res.status, ok: res.ok, body: data };
}

function errText(r) {
  const e = r.body && r.body.error;
  return e ? `${r.status} ${e.code}: ${e.message}` : `HTTP ${r.status}`;
}

function setUser(name) {
  me = name;
  if (name) sessionStorage.setItem("signet-demo-user", name);
  else sessionStorage.removeItem("signet-demo-user");
  $("who").textContent = name ? `signed in as ${name}` : "not signed in";
  $("who").dataset.user = name;
  for (const s of document.querySelectorAll(".needs-login")) {
    s.classList.toggle("disabled", !name);
    for (const b of s.querySelectorAll("button, input")) b.disabled = !name;
  }
  const o = other[name];
  $("other-key").value = o ? (localStorage.getItem("signet-demo-last-" + o) || `users/${o}/`) : "";
  $("gallery").replaceChildren();
  $("file").value = "";
  say("gallery-status", "");
  say("upload-status", "");
  say("other-status", "");
  $("short-box").hidden = true;
  clearInterval(shortTimer);
  latestKey = "";
}

async function login(user) {
  const r = await api("POST", "/v1/dev/login", { user });
  if (!r.ok) {
    say("upload-status", "sign-in failed: " + errText(r), "bad");
    return;
  }
  setUser(user);
  await refresh();
}

async function logout() {
  await api("POST", "/v1/dev/logout");
  setUser("");
}

// signURLs asks the issuer for signed edge URLs.
async function signURLs(keys, expiresIn) {
  return api("POST", "/v1/urls", { keys, expires_in: expiresIn });
}

async function refresh() {
  if (!me) return;
  const list = await api("GET", "/v1/objects");
  if (list.status === 401) { setUser(""); return; }
  if (!list.ok) { say("gallery-status", "listing failed: " + errText(list), "bad"); return; }
  const objs = (list.body.objects || []).slice().sort((a, b) => (a.last_modified < b.last_modified ? -1 : 1));
  const gallery = $("gallery");
  gallery.replaceChildren();
  if (objs.length === 0) { say("gallery-status", "no images yet: upload one above"); return; }
  latestKey = objs[objs.length - 1].key;
  const r = await signURLs(objs.map((o) => o.key), 300);
  if (!r.ok) { say("gallery-status", "signing failed: " + errText(r), "bad"); return; }
  for (const u of r.body.urls) {
    const fig = document.createElement("figure");
    const img = document.createElement("img");
    img.alt = u.key;
    img.dataset.key = u.key;
    img.addEventListener("load", () => img.classList.add("loaded"));
    img.addEventListener("error", () => img.classList.add("failed"));
    img.src = u.url;
    const cap = document.createElement("figcaption");
    cap.textContent = u.key;
    fig.append(img, cap);
    gallery.append(fig);
  }
  say("gallery-status", `${objs.length} image(s), signed URLs valid until ${r.body.urls[0].expires_at}`, "ok");
}

async function upload(ev) {
  ev.preventDefault();
  const f = $("file").files[0];
  if (!f) { say("upload-status", "choose an image first", "bad"); return; }
  say("upload-status", "asking the issuer for an upload URL…");
  const r = await api("POST", "/v1/uploads", { content_type: f.type || "application/octet-stream", size: f.size, filename: f.name });
  if (!r.ok) { say("upload-status", "refused: " + errText(r), "bad"); return; }
  const headers = Object.assign({}, r.body.headers || {});
  delete headers["Content-Length"];
  delete headers["content-length"];
  delete headers["Host"];
  delete headers["host"];
  say("upload-status", `uploading to the store as ${r.body.key}…`);
  let put;
  try {
    put = await fetch(r.body.url, { method: r.body.method || "PUT", headers, body: f, credentials: "omit" });
  } catch (e) {
    say("upload-status", "upload failed: " + e, "bad");
    return;
  }
  if (!put.ok) {
    say("upload-status", `the store refused the upload: HTTP ${put.status} ${await put.text()}`, "bad");
    return;
  }
  localStorage.setItem("signet-demo-last-" + me, r.body.key);
  say("upload-status", `uploaded ${r.body.key}`, "ok");
  await refresh();
}

// probe loads url into a fresh <img> in box and reports whether the edge served an image.
function probe(url, box) {
  return new Promise((resolve) => {
    const img = new Image();
    img.alt = "short-lived link";
    img.referrerPolicy = "no-referrer";
    img.onload = () => { box.replaceChildren(img); resolve(true); };
    img.onerror = () => resolve(false);
    img.src = url;
  });
}

// reordered returns the same signed URL with its signing parameters in another order. The edge
// accepts them in any order (as CloudFront does), and the browser has never fetched this exact
// string, so it must ask the edge instead of showing the image it already has.
function reordered(url) {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const signing = /^(Expires|Policy|Signature|Key-Pair-Id|Hash-Algorithm)=/;
  const pieces = url.slice(q + 1).split("&");
  const own = pieces.filter((p) => !signing.test(p));
  const sig = pieces.filter((p) => signing.test(p));
  sig.push(sig.shift());
  return url.slice(0, q + 1) + own.concat(sig).join("&");
}

async function shortLink() {
  if (!latestKey) await refresh();
  if (!latestKey) { $("short-box").hidden = false; $("short-count").textContent = "upload an image first"; return; }
  const r = await signURLs([latestKey], 10);
  if (!r.ok) { $("short-box").hidden = false; $("short-count").textContent = "refused: " + errText(r); return; }
  const u = r.body.urls[0];
  const box = $("short-box");
  box.hidden = false;
  box.dataset.state = "valid";
  const link = $("short-link");
  link.href = u.url;
  link.textContent = u.url;
  const frame = $("short-frame");
  frame.replaceChildren();
  await probe(u.url, frame);
  const end = Date.parse(u.expires_at);
  clearInterval(shortTimer);
  const tick = async () => {
    const left = Math.ceil((end - Date.now()) / 1000);
    const count = $("short-count");
    if (left > 0) {
      count.textContent = `valid for ${left} s more`;
      count.className = "count ok";
      return;
    }
    clearInterval(shortTimer);
    count.textContent = "expired — asking the edge again…";
    // A moment past DateLessThan, so the edge's clock agrees it has expired.
    await new Promise((res) => setTimeout(res, 1200));
    const served = await probe(reordered(u.url), frame);
    if (served) {
      count.textContent = "expired, yet the edge still served it (unexpected)";
      box.dataset.state = "still-served";
      count.className = "count";
      return;
    }
    box.dataset.state = "expired";
    const refused = document.createElement("div");
    refused.className = "refused";
    refused.textContent = "403 — the edge refuses the expired link";
    frame.replaceChildren(refused);
    count.textContent = "expired";
    count.className = "count bad";
  };
  shortTimer = setInterval(tick, 500);
  tick();
}

async function tryOther(ev) {
  ev.preventDefault();
  const key = $("other-key").value.trim();
  if (!key) return;
  const r = await signURLs([key], 60);
  const st = $("other-status");
  if (r.ok) {
    say("other-status", "the issuer signed it (unexpected for another user's key): " + r.body.urls[0].url, "ok");
    return;
  }
  say("other-status", "refused by the issuer: " + errText(r), "bad");
  st.dataset.status = String(r.status);
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-alice").addEventListener("click", () => login("alice"));
  $("login-bob").addEventListener("click", () => login("bob"));
  $("logout").addEventListener("click", logout);
  $("upload-form").addEventListener("submit", upload);
  $("refresh").addEventListener("click", refresh);
  $("short-button").addEventListener("click", shortLink);
  $("other-form").addEventListener("submit", tryOther);
  setUser(me);
  if (me) refresh();
});
