// spectrust live: the scale of the view, shared with app.js as window.SpectrustScale: the
// colour map, the ticks of its axes and how a frequency is written. Plain JavaScript, no build
// step.
"use strict";

window.SpectrustScale = (() => {
  // Inferno (matplotlib), whose lightness rises with the level.
  const STOPS = [
    [0, 0, 4], [31, 12, 72], [85, 15, 109], [136, 34, 106], [186, 54, 85],
    [227, 89, 51], [249, 140, 10], [249, 201, 50], [252, 255, 164],
  ];
  const NOTES = ["C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B"];
  const TICKS_HZ = [20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 16000, 20000];
  const TICKS_S = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

  const lut = (() => {
    const out = new Uint8ClampedArray(256 * 4);
    for (let i = 0; i < 256; i++) {
      const x = (i / 255) * (STOPS.length - 1);
      const k = Math.min(STOPS.length - 2, Math.floor(x));
      const f = x - k;
      for (let c = 0; c < 3; c++) out[i * 4 + c] = STOPS[k][c] + f * (STOPS[k + 1][c] - STOPS[k][c]);
      out[i * 4 + 3] = 255;
    }
    return out;
  })();
  const colour = (i) => `rgb(${lut[i * 4]},${lut[i * 4 + 1]},${lut[i * 4 + 2]})`;

  function formatHz(f) {
    if (f >= 1000) return `${(f / 1000).toFixed(f >= 10000 ? 1 : 2).replace(/\.?0+$/, "")} kHz`;
    return `${f.toFixed(f < 100 ? 1 : 0)} Hz`;
  }

  function noteName(f) {
    if (!(f > 0)) return "";
    const midi = 69 + 12 * Math.log2(f / 440);
    const nearest = Math.round(midi);
    const cents = Math.round((midi - nearest) * 100);
    const name = NOTES[((nearest % 12) + 12) % 12] + (Math.floor(nearest / 12) - 1);
    return `${name} ${cents >= 0 ? "+" : "−"}${Math.abs(cents)} ct`;
  }

  return { TICKS_HZ, TICKS_S, lut, colour, formatHz, noteName };
})();
