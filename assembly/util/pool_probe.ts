// Diagnostic task kernel for the thread pool: records which thread ran each task, burns
// `spin` iterations so several threads get tasks, and traps on thread `failTid` (-1: never)
// so tests can check that a failing worker surfaces as an Error on the caller.
export function pool_probe_task(out: usize, failTid: i32, spin: i32, task: i32, tid: i32): void {
  if (tid == failTid) unreachable();
  let x: f64 = 0;
  for (let i = 0; i < spin; i++) x += Math.sqrt(<f64>i);
  store<i32>(out + (<usize>task << 2), x >= 0 ? tid + 1 : 0);
}
