// The lab's faults. latency: reviews-v2's egress delayed by LATENCY_MS (tc netem in the pod, or the delay link where
// the kernel has no netem). errors: every packet from ratings to MariaDB answered with a TCP reset by the node's
// firewall (established connections die on their next query, new ones are refused), so ratings fails.
import { LATENCY_MS, readState, writeState } from './lab.js';
import { podByApp, NODES } from './topology.js';
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
  const node = NODES.find((n) => n.name === ratings.node);
  if (!node) throw new Error('ratings has no node');
  tryRun('ip', ['netns', 'exec', node.netns, 'nft', 'delete', 'table', 'ip', 'rwlab_fault']);
  if (on) {
    run('ip', ['netns', 'exec', node.netns, 'nft', '-f', '-'], [
      'table ip rwlab_fault {',
      '  chain forward {',
      '    type filter hook forward priority 0; policy accept;',
      `    ip saddr ${ratings.ip} ip daddr ${db.ip} tcp dport 3306 reject with tcp reset`,
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
