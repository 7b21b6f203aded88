// AudioWorklet: mixes the input to mono and posts blocks of `blockSize` float32 samples
// (transferred ArrayBuffers) to the page, which sends them to the server as they are.
class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.size = (options.processorOptions && options.processorOptions.blockSize) || 1024;
    this.block = new Float32Array(this.size);
    this.filled = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data === "stop") this.running = false;
    };
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) {
      const channels = input.length;
      const frames = input[0].length;
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += input[c][i];
        this.block[this.filled++] = sum / channels;
        if (this.filled === this.size) {
          this.port.postMessage(this.block.buffer, [this.block.buffer]);
          this.block = new Float32Array(this.size);
          this.filled = 0;
        }
      }
    }
    return this.running;
  }
}

registerProcessor("spectrust-capture", CaptureProcessor);
