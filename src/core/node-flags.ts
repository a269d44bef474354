/**
 * The node flags every db-sync process runs with. They are set where node starts: the
 * shebang of src/cli/main.ts (the `db-sync` command, `./dist/cli/main.js`), the npm scripts
 * `cli` and `start`, and the daemon's spawn (src/daemon/control.ts); V8 reads them once, when
 * the heap is created, so they cannot be set later from inside the process.
 * test/unit/node-flags.test.ts checks that every one of those places carries exactly these.
 *
 * --max-semi-space-size=2 (MB; node 20's default is 16): the young generation, where the
 * JS wrappers of the copy's 4 MiB chunk buffers die, is scavenged after 2 MB of allocation
 * instead of 16, so the buffers are released sooner: peak RSS of the 1M-row copy 139-146 MB
 * against 146-174 MB, at the same copy time and stream lag (README, "Benchmarks").
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
