// The admission, noticed even when the page is in the background: a chime and a vibration where the
// browser allows them (the call screen's title says it too).

export function announceAdmission(): void {
  try {
    navigator.vibrate?.([200, 100, 200]);
  } catch {
    // not allowed without a gesture on some browsers: the chime and the title remain
  }
  try {
    const ctx = new AudioContext();
    const gain = ctx.createGain();
    gain.gain.value = 0.15;
    gain.connect(ctx.destination);
    for (const [i, f] of [523, 659, 784].entries()) {
      const osc = ctx.createOscillator();
      osc.frequency.value = f;
      osc.connect(gain);
      osc.start(ctx.currentTime + i * 0.18);
      osc.stop(ctx.currentTime + i * 0.18 + 0.16);
    }
    setTimeout(() => void ctx.close(), 1_000);
  } catch {
    // no Web Audio: the title and the screen say it
  }
}
