// Makes spans tick-0, tick-1, ... one every argv[3] ms (argv[2] of them), then prints "app done N" and lets the
// process end by itself (the preload's exit flush sends what is left). Uses the app's own @opentelemetry/api.
const api = require('@opentelemetry/api');
const tracer = api.trace.getTracer('ticks');
const total = Number(process.argv[2]);
const every = Number(process.argv[3]);
let i = 0;
const tick = () => {
  tracer.startActiveSpan(`tick-${i}`, (span) => span.end());
  i += 1;
  if (i < total) setTimeout(tick, every);
  else console.log(`app done ${total}`);
};
tick();
