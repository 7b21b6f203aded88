// spectrust live: captures the microphone (or plays an audio file) in an AudioWorklet,
// streams float32 PCM to the server over WS /ws/live and draws the dB columns it sends back
// on a scrolling canvas. Plain JavaScript, no build step.
"use strict";

(() => {
  const DB_MIN = -120;
  const DB_MAX = 0;
  const BLOCK = 1024; // samples per message to the server
  const HISTORY = 8192; // columns kept for redraws and the tooltip
  const MAX_BUFFERED = 1 << 20; // bytes waiting in the socket before blocks are skipped
  const { TICKS_HZ, TICKS_S, lut, colour, formatHz, noteName } = window.SpectrustScale;

  const $ = (id) => document.getElementById(id);
  const canvas = $("spectrogram");
  const g = canvas.getContext("2d");
  const tooltip = $("tooltip");
  const statusEl = $("status");
  const buttons = { start: $("start"), stop: $("stop"), clear: $("clear"), export: $("export") };
  const scaleSelect = $("scale");
  const fileInput = $("file");
  const dropZone = $("drop-zone");

  // What the view shows: the server's configuration and the columns received.
  const view = {
    config: null,
    freqs: null, // Float32Array, centre Hz of each bin, ascending
    nBins: 0,
    hist: null, // HISTORY columns, column c at (c % HISTORY) * nBins
    total: 0, // columns received (or dropped) since the session began
    drawn: 0, // columns painted on the strip
    clearedAt: 0, // columns before this index were cleared
    dirty: true,
    layout: null,
    strip: null, // offscreen canvas: a ring of painted columns, one pixel wide each
    stripCtx: null,
    ringX: 0,
    rowBin: null,
    columnImage: null,
  };
  const stats = { columns: 0, messages: 0, frames: 0, fps: 0, dropped: 0, skippedBlocks: 0, sentBlocks: 0 };
  const frameTimes = [];
  let session = null;
  let audioContext = null;
  const workletLoaded = new WeakMap();

  function setStatus(text, error = false) {
    statusEl.textContent = text;
    statusEl.classList.toggle("error", error);
  }

  function setRunning(running) {
    buttons.start.disabled = running;
    buttons.stop.disabled = !running;
  }

  // ---- configuration and data ----------------------------------------------------------

  function defaultConfig() {
    const n = 256;
    const freqs = Array.from({ length: n }, (_, i) => 20 * Math.pow(1000, i / (n - 1)));
    return { sample_rate: 48000, n_fft: 4096, hop_length: 512, scale: "log", n_bins: n, frequencies: freqs, columns_per_second: 93.75 };
  }

  function applyConfig(config) {
    view.config = config;
    view.freqs = Float32Array.from(config.frequencies);
    view.nBins = view.freqs.length;
    view.hist = new Float32Array(HISTORY * view.nBins).fill(DB_MIN);
    view.total = 0;
    view.drawn = 0;
    view.clearedAt = 0;
    relayout();
  }

  function addColumns(buffer) {
    const data = new Float32Array(buffer); // little-endian, as every browser platform is
    const n = view.nBins;
    const count = Math.floor(data.length / n);
    for (let k = 0; k < count; k++) {
      view.hist.set(data.subarray(k * n, (k + 1) * n), (view.total % HISTORY) * n);
      view.total++;
    }
    stats.columns += count;
    stats.messages++;
    view.dirty = true;
  }

  function addDropped(count) {
    const n = view.nBins;
    for (let k = 0; k < Math.min(count, HISTORY); k++) {
      view.hist.fill(DB_MIN, ((view.total + k) % HISTORY) * n, ((view.total + k) % HISTORY + 1) * n);
    }
    view.total += count;
    stats.dropped += count;
    view.dirty = true;
  }

  const columnTime = (c) => (c * view.config.hop_length + view.config.n_fft / 2) / view.config.sample_rate;

  // ---- layout and drawing ----------------------------------------------------------------

  function relayout() {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(320, Math.round(canvas.clientWidth * dpr));
    const height = Math.max(240, Math.round(canvas.clientHeight * dpr));
    canvas.width = width;
    canvas.height = height;
    const left = Math.round(64 * dpr), right = Math.round(84 * dpr), top = Math.round(12 * dpr), bottom = Math.round(30 * dpr);
    const plot = { x: left, y: top, w: width - left - right, h: height - top - bottom };
    view.layout = { dpr, width, height, plot };
    view.strip = document.createElement("canvas");
    view.strip.width = plot.w;
    view.strip.height = plot.h;
    view.stripCtx = view.strip.getContext("2d");
    view.stripCtx.fillStyle = colour(0);
    view.stripCtx.fillRect(0, 0, plot.w, plot.h);
    view.columnImage = view.stripCtx.createImageData(1, plot.h);
    view.rowBin = new Int32Array(plot.h);
    for (let r = 0; r < plot.h; r++) {
      view.rowBin[r] = Math.min(view.nBins - 1, Math.floor(((plot.h - r - 0.5) / plot.h) * view.nBins));
    }
    view.ringX = 0;
    // Repaint what is still in the history.
    view.drawn = Math.max(view.clearedAt, view.total - Math.min(plot.w, HISTORY));
    view.dirty = true;
  }

  function paintColumn(c) {
    const { plot } = view.layout;
    const img = view.columnImage.data;
    const base = (c % HISTORY) * view.nBins;
    const scale = 255 / (DB_MAX - DB_MIN);
    for (let r = 0; r < plot.h; r++) {
      const v = view.hist[base + view.rowBin[r]];
      const i = Math.max(0, Math.min(255, Math.round((v - DB_MIN) * scale))) * 4;
      img[r * 4] = lut[i];
      img[r * 4 + 1] = lut[i + 1];
      img[r * 4 + 2] = lut[i + 2];
      img[r * 4 + 3] = 255;
    }
    view.stripCtx.putImageData(view.columnImage, view.ringX, 0);
    view.ringX = (view.ringX + 1) % plot.w;
  }

  // The fractional bin index of frequency f (interpolated between centre frequencies).
  function binOf(f) {
    const fr = view.freqs;
    if (f <= fr[0]) return 0;
    if (f >= fr[fr.length - 1]) return fr.length - 1;
    let lo = 0, hi = fr.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fr[mid] <= f) lo = mid; else hi = mid;
    }
    return lo + (f - fr[lo]) / (fr[hi] - fr[lo]);
  }

  const yOfBin = (b) => view.layout.plot.y + view.layout.plot.h - ((b + 0.5) / view.nBins) * view.layout.plot.h;

  function render() {
    const { dpr, width, height, plot } = view.layout;
    // Paint the new columns (at most a strip's width of them).
    if (view.total - view.drawn > plot.w) view.drawn = view.total - plot.w;
    for (; view.drawn < view.total; view.drawn++) paintColumn(view.drawn);

    g.fillStyle = "#111318";
    g.fillRect(0, 0, width, height);
    // The ring, oldest on the left, newest at the right edge.
    const shown = Math.min(plot.w, view.total - view.clearedAt);
    g.fillStyle = colour(0);
    g.fillRect(plot.x, plot.y, plot.w, plot.h);
    // The newest columns sit left of ringX in the strip; older ones wrap round to its end.
    const x = view.ringX;
    const recent = Math.min(x, shown);
    const wrapped = shown - recent;
    if (recent > 0) g.drawImage(view.strip, x - recent, 0, recent, plot.h, plot.x + plot.w - recent, plot.y, recent, plot.h);
    if (wrapped > 0) {
      g.drawImage(view.strip, plot.w - wrapped, 0, wrapped, plot.h, plot.x + plot.w - recent - wrapped, plot.y, wrapped, plot.h);
    }

    g.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
    g.fillStyle = "#c8ccd6";
    g.strokeStyle = "rgba(200,204,214,0.35)";
    g.lineWidth = Math.max(1, dpr);

    // Frequency axis.
    g.textAlign = "right";
    g.textBaseline = "middle";
    let lastY = Infinity;
    const fmin = view.freqs[0], fmax = view.freqs[view.nBins - 1];
    const candidates = TICKS_HZ.filter((f) => f >= fmin && f <= fmax);
    if (fmin > 0 && !candidates.includes(fmin) && candidates.length < 2) candidates.unshift(fmin);
    for (const f of candidates) {
      const y = yOfBin(binOf(f));
      if (lastY - y < 16 * dpr) continue;
      lastY = y;
      g.fillText(f >= 1000 ? `${f / 1000}k` : `${Math.round(f)}`, plot.x - 8 * dpr, y);
      g.beginPath();
      g.moveTo(plot.x - 5 * dpr, y);
      g.lineTo(plot.x, y);
      g.stroke();
    }
    g.save();
    g.translate(14 * dpr, plot.y + plot.h / 2);
    g.rotate(-Math.PI / 2);
    g.textAlign = "center";
    g.fillText(`Hz (${view.config.scale})`, 0, 0);
    g.restore();

    // Time axis: seconds since the session began, newest at the right edge.
    const cps = view.config.sample_rate / view.config.hop_length;
    const newest = view.total > 0 ? columnTime(view.total - 1) : 0;
    const step = TICKS_S.find((s) => s * cps >= 70 * dpr) || 600;
    g.textAlign = "center";
    g.textBaseline = "top";
    const oldest = newest - plot.w / cps;
    for (let t = Math.ceil(Math.max(0, oldest) / step) * step; t <= newest + 1e-9; t += step) {
      const xt = plot.x + plot.w - 1 - (newest - t) * cps;
      if (xt < plot.x) continue;
      g.fillText(`${+t.toFixed(1)} s`, xt, plot.y + plot.h + 8 * dpr);
      g.beginPath();
      g.moveTo(xt, plot.y + plot.h);
      g.lineTo(xt, plot.y + plot.h + 5 * dpr);
      g.stroke();
    }

    // Colour legend.
    const lx = plot.x + plot.w + 14 * dpr, lw = 14 * dpr;
    const grad = g.createLinearGradient(0, plot.y + plot.h, 0, plot.y);
    for (let i = 0; i <= 8; i++) grad.addColorStop(i / 8, colour(Math.round((i / 8) * 255)));
    g.fillStyle = grad;
    g.fillRect(lx, plot.y, lw, plot.h);
    g.fillStyle = "#c8ccd6";
    g.textAlign = "left";
    g.textBaseline = "middle";
    for (let db = DB_MIN; db <= DB_MAX; db += 20) {
      const y = plot.y + plot.h - ((db - DB_MIN) / (DB_MAX - DB_MIN)) * plot.h;
      g.fillText(`${db}`, lx + lw + 5 * dpr, Math.min(Math.max(y, plot.y + 6 * dpr), plot.y + plot.h - 6 * dpr));
    }
    g.textBaseline = "top";
    g.fillText("dB", lx, plot.y + plot.h + 8 * dpr);
  }

  function frame(now) {
    if (view.dirty) {
      view.dirty = false;
      render();
      if (pointer) updateTooltip(pointer);
      stats.frames++;
      frameTimes.push(now);
      while (frameTimes.length && frameTimes[0] < now - 1000) frameTimes.shift();
      stats.fps = frameTimes.length;
    }
    requestAnimationFrame(frame);
  }

  // ---- tooltip ---------------------------------------------------------------------------

  // The point under a still mouse changes as the canvas scrolls, so the tooltip is refreshed
  // on every drawn frame as well as when the mouse moves.
  let pointer = null;
  canvas.addEventListener("mousemove", (event) => {
    pointer = { clientX: event.clientX, clientY: event.clientY };
    updateTooltip(pointer);
  });

  function updateTooltip(event) {
    const rect = canvas.getBoundingClientRect();
    const { plot } = view.layout;
    const x = (event.clientX - rect.left) * (canvas.width / rect.width);
    const y = (event.clientY - rect.top) * (canvas.height / rect.height);
    const c = view.total - 1 - Math.floor(plot.x + plot.w - 1 - x);
    const oldestKept = Math.max(view.clearedAt, view.total - Math.min(plot.w, HISTORY));
    if (x < plot.x || x >= plot.x + plot.w || y < plot.y || y >= plot.y + plot.h || c < oldestKept || c >= view.total) {
      tooltip.hidden = true;
      return;
    }
    const bin = view.rowBin[Math.floor(y - plot.y)];
    const f = view.freqs[bin];
    const db = view.hist[(c % HISTORY) * view.nBins + bin];
    tooltip.textContent = `${columnTime(c).toFixed(2)} s\n${formatHz(f)}  ${noteName(f)}\n${db.toFixed(1)} dB`;
    tooltip.hidden = false;
    const cssX = event.clientX - rect.left, cssY = event.clientY - rect.top;
    const flip = cssX > rect.width - 180;
    tooltip.style.left = `${flip ? cssX - tooltip.offsetWidth - 12 : cssX + 14}px`;
    tooltip.style.top = `${Math.max(0, cssY - 10)}px`;
  }
  canvas.addEventListener("mouseleave", () => {
    pointer = null;
    tooltip.hidden = true;
  });

  // ---- audio and the socket --------------------------------------------------------------

  // Created (or resumed) inside a click handler, as browsers require for audio.
  function context() {
    if (!audioContext || audioContext.state === "closed") {
      const forced = Number(new URLSearchParams(location.search).get("sample_rate"));
      audioContext = forced ? new AudioContext({ sampleRate: forced }) : new AudioContext({ latencyHint: "interactive" });
    }
    return audioContext;
  }

  async function loadWorklet(ctx) {
    if (!workletLoaded.has(ctx)) workletLoaded.set(ctx, ctx.audioWorklet.addModule("/static/capture-worklet.js"));
    await workletLoaded.get(ctx);
  }

  function socketUrl() {
    return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/live`;
  }

  // Streams `source` (an AudioNode of ctx) to the server until stopped.
  async function begin(ctx, source, extra) {
    await loadWorklet(ctx);
    const s = { ctx, source, ws: new WebSocket(socketUrl()), node: null, ...extra };
    session = s;
    s.ws.binaryType = "arraybuffer";
    s.ws.onopen = () => s.ws.send(JSON.stringify({ sample_rate: ctx.sampleRate, scale: scaleSelect.value }));
    s.ws.onmessage = (event) => {
      if (session !== s) return;
      if (typeof event.data !== "string") return addColumns(event.data);
      const msg = JSON.parse(event.data);
      if (msg.type === "config") connect(s, msg);
      else if (msg.type === "dropped") addDropped(msg.columns);
      else if (msg.type === "error") setStatus(`Server: ${msg.message}`, true);
    };
    s.ws.onclose = (event) => {
      if (session !== s) return;
      end(s);
      if (event.code !== 1000) setStatus(`Connection closed (${event.code}${event.reason ? ": " + event.reason : ""}).`, true);
    };
  }

  function connect(s, config) {
    applyConfig(config);
    s.node = new AudioWorkletNode(s.ctx, "spectrust-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: { blockSize: BLOCK },
    });
    s.node.port.onmessage = (event) => {
      if (s.ws.readyState !== WebSocket.OPEN) return;
      if (s.ws.bufferedAmount > MAX_BUFFERED) {
        stats.skippedBlocks++;
        return;
      }
      s.ws.send(event.data);
      stats.sentBlocks++;
    };
    s.source.connect(s.node);
    s.node.connect(s.ctx.destination); // silent output; keeps the worklet running
    if (s.buffer && !s.started) {
      s.source.connect(s.ctx.destination);
      s.source.onended = () => setTimeout(() => session === s && stop("Finished playing " + s.label + "."), 400);
      s.source.start();
      s.started = true;
    }
    const rate = config.sample_rate;
    setStatus(
      `${s.buffer ? "Playing" : "Listening to"} ${s.label} at ${rate} Hz: ${config.columns_per_second.toFixed(1)} columns/s, ` +
        `${config.n_bins} ${config.scale} bins from ${formatHz(config.frequencies[0])} to ${formatHz(config.frequencies[config.n_bins - 1])}.`
    );
  }

  function end(s) {
    if (s.node) {
      s.node.port.postMessage("stop");
      try { s.source.disconnect(s.node); } catch (e) { /* already disconnected */ }
      s.node.disconnect();
      s.node = null;
    }
    if (s.ws.readyState === WebSocket.OPEN || s.ws.readyState === WebSocket.CONNECTING) s.ws.close(1000, "stop");
    if (session === s) session = null;
    if (!session) setRunning(false);
  }

  function stop(message = "Stopped.") {
    const s = session;
    if (!s) return;
    end(s);
    if (s.stream) s.stream.getTracks().forEach((t) => t.stop());
    if (s.buffer) {
      try { s.source.stop(); } catch (e) { /* not started */ }
      s.source.disconnect();
    }
    setRunning(false);
    setStatus(message);
  }

  // A new socket with the chosen axis for the same source (the scale changed).
  async function reconfigure() {
    const s = session;
    if (!s) {
      applyConfig({ ...defaultConfig(), scale: scaleSelect.value });
      return;
    }
    end(s);
    setRunning(true);
    await begin(s.ctx, s.source, { stream: s.stream, buffer: s.buffer, label: s.label, started: s.started });
  }

  async function startMicrophone() {
    const ctx = context();
    const resumed = ctx.resume();
    stop();
    setRunning(true);
    setStatus("Asking for the microphone…");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
      await resumed;
      await begin(ctx, ctx.createMediaStreamSource(stream), { stream, label: "the microphone" });
    } catch (error) {
      setRunning(false);
      setStatus(`Cannot capture the microphone: ${error.message || error}`, true);
    }
  }

  async function openFile(file) {
    if (!file) return;
    const ctx = context();
    const resumed = ctx.resume();
    stop();
    setStatus(`Decoding ${file.name}…`);
    try {
      const buffer = await ctx.decodeAudioData(await file.arrayBuffer());
      await resumed;
      const source = new AudioBufferSourceNode(ctx, { buffer });
      setRunning(true);
      await begin(ctx, source, { buffer, label: file.name, started: false });
    } catch (error) {
      setRunning(false);
      setStatus(`Cannot play ${file.name}: ${error.message || error}`, true);
    }
  }

  function clearView() {
    if (!view.hist) return;
    view.clearedAt = view.total;
    view.hist.fill(DB_MIN);
    relayout();
  }

  function exportPng() {
    render();
    canvas.toBlob((blob) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `spectrogram-${new Date().toISOString().replace(/[:.]/g, "-")}.png`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    }, "image/png");
  }

  buttons.start.addEventListener("click", startMicrophone);
  buttons.stop.addEventListener("click", () => stop());
  buttons.clear.addEventListener("click", clearView);
  buttons.export.addEventListener("click", exportPng);
  scaleSelect.addEventListener("change", reconfigure);
  fileInput.addEventListener("change", () => {
    openFile(fileInput.files[0]);
    fileInput.value = "";
  });
  dropZone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropZone.classList.add("dragging");
  });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dragging"));
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("dragging");
    openFile(event.dataTransfer.files[0]);
  });
  window.addEventListener("resize", () => relayout());

  applyConfig(defaultConfig());
  requestAnimationFrame(frame);

  // For tests and the curious: read-only views of the state.
  window.spectrust = {
    stats,
    get config() { return view.config; },
    get layout() { return view.layout; },
    get running() { return session !== null; },
  };
})();
