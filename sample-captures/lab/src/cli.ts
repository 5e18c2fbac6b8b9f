// `rewind lab up | down | status | fault | record`: the CLI over the lab (root).
import { parseArgs } from 'node:util';
import { labDown, labUp, readState } from './lab.js';
import { setFault } from './faults.js';
import type { FaultName } from './faults.js';
import { labRecord, parseDurationMs } from './record.js';
import { labNamespaces } from './network.js';
import { PODS, SERVICES } from './topology.js';

export interface LabIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = `Usage: rewind lab up                 build the two-node lab cluster and start its pods (root; idempotent)
       rewind lab down               stop every lab process, remove its namespaces, links, cgroups and state
       rewind lab status             what is running
       rewind lab fault latency|errors|none
                                     delay reviews-v2's egress by 100 ms | reset ratings' MariaDB connections | clear
       rewind lab record --duration 20s --out x.pcapng [--scenario none|latency|errors] [--fault-at 8s] [--rate 10]
                         [--replace-pod ratings@10s]
                                     run the load generator and the agents (eBPF + packets + Kubernetes/cloud tags),
                                     inject the scenario's fault at --fault-at, write one bundle
`;

export async function cmdLab(argv: string[], io: LabIo): Promise<number> {
  const [sub, ...rest] = argv;
  const log = (s: string): void => io.stdout(`${s}\n`);
  try {
    switch (sub) {
      case 'up': {
        const s = await labUp(log);
        log(`lab up: ${s.processes.length} containers on ${new Set(PODS.map((p) => p.node)).size} nodes, ${SERVICES.length} services; latency fault by ${s.delayMechanism}`);
        return 0;
      }
      case 'down':
        return (await labDown(log)).length === 0 ? 0 : 1;
      case 'status': {
        const s = readState();
        const ns = labNamespaces();
        if (s === null && ns.length === 0) {
          log('lab: down');
          return 0;
        }
        log(`lab: up since ${s?.startedAt ?? '?'}; ${ns.length} namespaces; faults ${JSON.stringify(s?.faults ?? {})}`);
        for (const p of PODS) log(`  ${p.namespace}/${p.name}  ${p.ip}  on ${p.node}`);
        return 0;
      }
      case 'fault': {
        const name = rest[0] as FaultName | undefined;
        if (name !== 'latency' && name !== 'errors' && name !== 'none') {
          io.stderr(`rewind lab fault: latency, errors or none\n${USAGE}`);
          return 2;
        }
        setFault(name);
        log(`fault: ${name}`);
        return 0;
      }
      case 'record': {
        const { values } = parseArgs({
          args: rest,
          options: {
            duration: { type: 'string', short: 'd', default: '20s' },
            out: { type: 'string', short: 'o' },
            scenario: { type: 'string', default: 'none' },
            'fault-at': { type: 'string' },
            rate: { type: 'string' },
            'replace-pod': { type: 'string' },
          },
        });
        if (!values.out) {
          io.stderr(`rewind lab record: --out is required\n${USAGE}`);
          return 2;
        }
        const scenario = values.scenario as FaultName;
        if (scenario !== 'latency' && scenario !== 'errors' && scenario !== 'none') {
          io.stderr('rewind lab record: --scenario none, latency or errors\n');
          return 2;
        }
        let replace: { app: string; atMs: number } | undefined;
        if (values['replace-pod']) {
          const m = /^([a-z0-9-]+)@(.+)$/.exec(values['replace-pod']);
          if (!m) {
            io.stderr('rewind lab record: --replace-pod APP@TIME, e.g. ratings@10s\n');
            return 2;
          }
          replace = { app: m[1], atMs: parseDurationMs(m[2]) };
        }
        const r = await labRecord({
          out: values.out, duration: values.duration ?? '20s', scenario, faultAt: values['fault-at'],
          rate: values.rate !== undefined ? Number(values.rate) : undefined, replacePod: replace,
        }, log);
        log(`recorded ${r.out}: ${r.bytes} bytes; load generator ${JSON.stringify(r.loadgen)}`);
        return 0;
      }
      case undefined:
      case '-h':
      case '--help':
        io.stdout(USAGE);
        return sub === undefined ? 2 : 0;
      default:
        io.stderr(`rewind lab: unknown command ${JSON.stringify(sub)}\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    io.stderr(`rewind lab ${sub}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
