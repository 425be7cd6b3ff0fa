/* global setInterval, clearInterval, setTimeout */
// Preloaded (node --import) into the `rfm train` processes that sweeps start. If the process that
// started one (the local pool or a queue worker) dies without stopping it (kill -9, lost
// terminal), the child is re-parented; it then stops itself as on Ctrl-C (SIGTERM: a checkpoint,
// then exit), so that no orphan goes on training a run that another worker is about to resume.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) {
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(137), 30_000).unref();
  }
}, 250);
timer.unref();
