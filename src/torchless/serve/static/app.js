// The drawing page: a pad, the prediction as bars, and the network's activation maps and filters.
// Plain browser JavaScript, no build step; everything it needs comes from this server's JSON API.
"use strict";

const TILE = 84;           // every activation map is drawn this many CSS pixels wide, whatever its size
const FILTER_TILE = 30;
const MAX_FILTERS = 16;    // per layer, so a 64-filter network still fits on the page
const MAX_CHANNELS = 8;
const PEN_WIDTH = 20;      // on a 280-pixel pad: MNIST strokes are about 2 of 28 pixels wide

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const pen = pad.getContext("2d");

// The pad is always opaque, so the PNG it sends has no transparent pixels for the server to read as paper.
const blank = { paper: "#000", ink: "#fff" };
let colours = { ...blank };
let inked = false;

// Each change of the pad bumps `version`; at most one request is in flight, and a reply for an
// older version than the one on screen is dropped. Moves ask for a prediction, a finished stroke
// for the activation maps too.
let version = 0;
let shown = -1;
let busy = false;
let pending = null; // null, "predict" or "activations"

function clearPad() {
  colours = { ...blank };
  pen.fillStyle = colours.paper;
  pen.fillRect(0, 0, pad.width, pad.height);
  inked = false;
  version += 1;
  shown = version; // replies to requests sent before the clear are dropped
  pending = null;
  showNothing();
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

let last = null;

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  last = point(event);
  stroke(last, last);
});

pad.addEventListener("pointermove", (event) => {
  if (!last) return;
  const next = point(event);
  stroke(last, next);
  last = next;
  changed("predict");
});

for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!last) return;
    last = null;
    changed("activations");
  });
}

function stroke(from, to) {
  pen.strokeStyle = colours.ink;
  pen.lineWidth = PEN_WIDTH;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.beginPath();
  pen.moveTo(...from);
  pen.lineTo(...to);
  pen.stroke();
  inked = true;
}

function changed(kind) {
  version += 1;
  if (pending !== "activations") pending = kind;
  pump();
}

async function pump() {
  if (busy || !pending || !inked) return;
  const kind = pending;
  const asked = version;
  pending = null;
  busy = true;
  try {
    const body = await new Promise((resolve) => pad.toBlob(resolve, "image/png"));
    const reply = await post(`/api/${kind}`, body, { "Content-Type": "image/png" });
    if (asked >= shown) show(reply, asked);
  } catch (err) {
    if (asked >= shown) showError(err.message);
  } finally {
    busy = false;
    pump();
  }
}

async function post(url, body, headers) {
  const response = await fetch(url, { method: "POST", body, headers });
  const reply = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(reply.error || `${response.status} ${response.statusText}`);
  return reply;
}

function show(reply, asked) {
  shown = asked;
  $("error").hidden = true;
  showPrediction(reply);
  if (reply.layers) {
    showInput(reply.input);
    showActivations(reply.layers);
  }
}

// ---- prediction -------------------------------------------------------------------------------

function buildBars() {
  const bars = $("bars");
  for (let digit = 0; digit < 10; digit += 1) {
    const row = document.createElement("div");
    row.className = "bar";
    row.innerHTML = `<span class="label">${digit}</span><span class="track"><span class="fill"></span></span>` +
      `<span class="value"></span>`;
    bars.appendChild(row);
  }
}

function showPrediction(reply) {
  const best = reply.class;
  $("prediction").textContent = String(best);
  $("prediction").dataset.class = String(best);
  const sure = reply.probabilities[best];
  $("confidence").textContent = sure > 0.999 ? "over 99.9% sure" : `${(100 * sure).toFixed(1)}% sure`;
  [...$("bars").children].forEach((row, digit) => {
    const p = reply.probabilities[digit];
    row.classList.toggle("best", digit === best);
    row.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    row.querySelector(".value").textContent = `${(100 * p).toFixed(1)}%`;
  });
}

function showNothing() {
  $("prediction").textContent = "?";
  $("prediction").dataset.class = "";
  $("confidence").textContent = "draw a digit";
  $("error").hidden = true;
  for (const row of $("bars").children) {
    row.classList.remove("best");
    row.querySelector(".fill").style.width = "0";
    row.querySelector(".value").textContent = "";
  }
  const input = $("input28").getContext("2d");
  input.fillStyle = "#000";
  input.fillRect(0, 0, 28, 28);
  $("activations").dataset.layers = "0";
  $("activations").innerHTML = '<p class="empty">Draw a digit to see them.</p>';
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

// ---- maps and colours -------------------------------------------------------------------------

// Colour scales like the course's pictures: signed maps blue-white-red around zero,
// non-negative maps from black through purple and orange to pale yellow ("magma").
const MAGMA = [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]];
const DIVERGING = [[5, 48, 97], [67, 147, 195], [247, 247, 247], [214, 96, 77], [103, 0, 31]];

function ramp(stops, t) {
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  return stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
}

function scaleOf(values) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values.flat(Infinity)) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const signed = min < 0;
  const limit = Math.max(Math.abs(min), Math.abs(max)) || 1;
  return signed ? { signed, low: -limit, high: limit } : { signed, low: 0, high: limit };
}

function colour(value, scale) {
  const t = (value - scale.low) / (scale.high - scale.low);
  return scale.signed ? ramp(DIVERGING, t) : ramp(MAGMA, t);
}

// One canvas with a pixel per value; CSS scales it up without smoothing.
function mapCanvas(rows, scale, size, title) {
  const canvas = document.createElement("canvas");
  canvas.width = rows[0].length;
  canvas.height = rows.length;
  canvas.className = "pixels map";
  canvas.style.width = `${size}px`;
  canvas.style.height = `${Math.round(size * rows.length / rows[0].length)}px`;
  canvas.title = title;
  const image = canvas.getContext("2d").createImageData(canvas.width, canvas.height);
  rows.forEach((row, y) => row.forEach((value, x) => {
    const [r, g, b] = colour(value, scale);
    image.data.set([r, g, b, 255], 4 * (y * canvas.width + x));
  }));
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

function legend(scale) {
  const bar = document.createElement("span");
  bar.className = "legend";
  const low = document.createElement("span");
  const gradient = document.createElement("span");
  const high = document.createElement("span");
  low.textContent = scale.low.toFixed(2);
  high.textContent = scale.high.toFixed(2);
  gradient.className = "gradient";
  // Set through the DOM, not a style="" attribute, which the page's Content-Security-Policy forbids.
  const stops = (scale.signed ? DIVERGING : MAGMA).map((c) => `rgb(${c.join(",")})`).join(",");
  gradient.style.background = `linear-gradient(90deg,${stops})`;
  bar.append(low, gradient, high);
  return bar;
}

function showInput(values) {
  const canvas = $("input28");
  const image = canvas.getContext("2d").createImageData(28, 28);
  values.forEach((row, y) => row.forEach((v, x) => {
    const grey = Math.round(255 * Math.min(Math.max(v, 0), 1));
    image.data.set([grey, grey, grey, 255], 4 * (y * 28 + x));
  }));
  canvas.getContext("2d").putImageData(image, 0, 0);
}

function showActivations(layers) {
  const box = $("activations");
  box.innerHTML = "";
  for (const layer of layers) {
    const scale = scaleOf(layer.values);
    const section = document.createElement("div");
    section.className = "layer";
    const title = document.createElement("h3");
    const call = layer.call > 1 ? `, call ${layer.call}` : "";
    title.textContent = `${layer.name} (${layer.type}${call}) · ${layer.shape.join("×")}`;
    title.appendChild(legend(scale));
    const tiles = document.createElement("div");
    tiles.className = "tiles";
    layer.values.forEach((map, channel) => {
      const figure = document.createElement("figure");
      figure.appendChild(mapCanvas(map, scale, TILE, `${layer.name} channel ${channel}`));
      figure.insertAdjacentHTML("beforeend", `<figcaption>${channel}</figcaption>`);
      tiles.appendChild(figure);
    });
    section.append(title, tiles);
    box.appendChild(section);
  }
  box.dataset.layers = String(layers.length);
}

// ---- the model: description, filters, summary ------------------------------------------------

function showModel(model) {
  const accuracy = model.test_accuracy == null ? "" :
    ` · test accuracy ${(100 * model.test_accuracy).toFixed(1)}% after ${model.epochs} epoch${model.epochs === 1 ? "" : "s"}`;
  $("model-info").textContent =
    `${model.model} CNN · ${model.summary.total_params.toLocaleString("en")} parameters${accuracy} · running on torchless (NumPy)`;
  $("summary").textContent = model.summary.text;
  const box = $("filters");
  for (const layer of model.filters) {
    const scale = scaleOf(layer.values);
    const [outs, ins] = layer.shape;
    const section = document.createElement("div");
    section.className = "layer";
    const title = document.createElement("h3");
    const cut = outs > MAX_FILTERS || ins > MAX_CHANNELS ?
      ` (first ${Math.min(outs, MAX_FILTERS)} filters × ${Math.min(ins, MAX_CHANNELS)} channels)` : "";
    title.textContent = `${layer.name} · ${layer.shape.join("×")}${cut}`;
    title.appendChild(legend(scale));
    const grid = document.createElement("div");
    grid.className = "filter-grid";
    layer.values.slice(0, MAX_FILTERS).forEach((filter, f) => {
      const row = document.createElement("div");
      row.className = "filter";
      row.insertAdjacentHTML("beforeend", `<span class="index">${f}</span>`);
      filter.slice(0, MAX_CHANNELS).forEach((kernel, c) => {
        row.appendChild(mapCanvas(kernel, scale, FILTER_TILE, `${layer.name} filter ${f}, input channel ${c}`));
      });
      grid.appendChild(row);
    });
    section.append(title, grid);
    box.appendChild(section);
  }
}

// ---- images from files ------------------------------------------------------------------------

async function useFile(file) {
  if (!file) return;
  let picture;
  try {
    picture = await createImageBitmap(file);
  } catch {
    showError(`${file.name} is not an image this browser can read`);
    return;
  }
  // The picture fills the pad on its own background colour, and the pen contrasts with it,
  // so drawing on after an upload keeps ink and paper apart. Transparent counts as white paper,
  // as it does on the server.
  const scale = Math.min(pad.width / picture.width, pad.height / picture.height);
  const corner = document.createElement("canvas").getContext("2d");
  corner.drawImage(picture, 0, 0, 1, 1, 0, 0, 1, 1);
  const sample = corner.getImageData(0, 0, 1, 1).data;
  const [r, g, b] = sample[3] < 128 ? [255, 255, 255] : sample;
  const light = 0.299 * r + 0.587 * g + 0.114 * b > 127;
  colours = { paper: `rgb(${r},${g},${b})`, ink: light ? "#000" : "#fff" };
  pen.fillStyle = colours.paper;
  pen.fillRect(0, 0, pad.width, pad.height);
  const w = picture.width * scale;
  const h = picture.height * scale;
  pen.drawImage(picture, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
  inked = true;
  version += 1;
  const asked = version;
  if (!["image/png", "image/jpeg"].includes(file.type)) {
    changed("activations"); // the server takes PNG and JPEG: send what the pad shows instead
    return;
  }
  // PNG and JPEG files go up as they are, so the answer is the one `torchless predict FILE` gives.
  const form = new FormData();
  form.append("file", file, file.name);
  try {
    show(await post("/api/activations", form, {}), asked);
  } catch (err) {
    showError(err.message);
  }
}

$("file").addEventListener("change", (event) => {
  useFile(event.target.files[0]);
  event.target.value = "";
});
pad.addEventListener("dragover", (event) => {
  event.preventDefault();
  pad.classList.add("dropping");
});
pad.addEventListener("dragleave", () => pad.classList.remove("dropping"));
pad.addEventListener("drop", (event) => {
  event.preventDefault();
  pad.classList.remove("dropping");
  useFile(event.dataTransfer.files[0]);
});
$("clear").addEventListener("click", clearPad);

buildBars();
clearPad();
fetch("/api/model")
  .then((response) => response.json())
  .then(showModel)
  .catch((err) => { $("model-info").textContent = `cannot describe the model: ${err.message}`; });
