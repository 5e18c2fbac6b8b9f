// The lab's faults. latency: reviews-v2's egress delayed by LATENCY_MS (tc netem in the pod, or the delay link where
// the kernel has no netem). errors: every packet from ratings to MariaDB answered with a TCP reset by the database
// pod's firewall (established connections die on their next query, new ones are refused), so ratings fails.
import { LATENCY_MS, readState, writeState } from './lab.js';
import { podByApp } from './topology.js';
import { run, tryRun } from './sh.js';

export type FaultName = 'latency' | 'errors' | 'none';

function setLatency(on: boolean): void {
  const state = readState();
  if (state === null) throw new Error('the lab is not up (rewind lab up)');
  const pod = podByApp('reviews', 'v2');
  if (state.delayMechanism === 'netem') {
    tryRun('ip', ['netns', 'exec', pod.netns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root']);
    if (on) run('ip', ['netns', 'exec', pod.netns, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', `${LATENCY_MS}ms`]);
  } else {
    if (state.delayLinkPid === null) throw new Error('the delay link is not running');
    process.kill(state.delayLinkPid, on ? 'SIGUSR1' : 'SIGUSR2');
  }
  state.faults.latencyMs = on ? LATENCY_MS : 0;
  writeState(state);
}

function setErrors(on: boolean): void {
  const state = readState();
  if (state === null) throw new Error('the lab is not up (rewind lab up)');
  const ratings = podByApp('ratings');
  const db = podByApp('mariadb');
  // In the database pod's own namespace (its input path), so that the resets really go back to ratings.
  tryRun('ip', ['netns', 'exec', db.netns, 'nft', 'delete', 'table', 'ip', 'rwlab_fault']);
  if (on) {
    run('ip', ['netns', 'exec', db.netns, 'nft', '-f', '-'], [
      'table ip rwlab_fault {',
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      `    ip saddr ${ratings.ip} tcp dport 3306 reject with tcp reset`,
      '  }',
      '}',
      '',
    ].join('\n'));
  }
  state.faults.errors = on;
  writeState(state);
}

export function setFault(name: FaultName): void {
  if (name === 'none') {
    setLatency(false);
    setErrors(false);
  } else if (name === 'latency') {
    setLatency(true);
  } else {
    setErrors(true);
  }
}
