// Cloud tag source: the instance metadata service (169.254.169.254) of AWS (IMDSv2: a session token, then GETs),
// GCP (Metadata-Flavor: Google) or Azure (Metadata: true), with short timeouts. Off unless asked; `auto` tries the
// three in turn. The result is one record (type 5): provider, region, zone, instance id and type, private address.
import http from 'node:http';

export type CloudProvider = 'aws' | 'gcp' | 'azure';

export interface CloudMetadata {
  tsUs: number;
  provider: CloudProvider;
  region: string | null;
  zone: string | null;
  instanceId: string | null;
  instanceType: string | null;
  privateIp: string | null;
  hostname: string | null;
  vpcId?: string | null;
  accountId?: string | null;
}

export interface CloudOptions {
  /** Metadata endpoint (default http://169.254.169.254). */
  endpoint?: string;
  /** Per request (default 500 ms): off-cloud, the address does not answer at all. */
  timeoutMs?: number;
}

function request(base: string, method: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = http.request({ host: u.hostname, port: u.port || 80, path: u.pathname + u.search, method, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.host} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function aws(base: string, t: number): Promise<CloudMetadata> {
  const token = await request(base, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '300' }, t);
  if (token.status !== 200) throw new Error(`IMDSv2 token: HTTP ${token.status}`);
  const h = { 'X-aws-ec2-metadata-token': token.body };
  const get = async (p: string): Promise<string | null> => {
    const r = await request(base, 'GET', p, h, t);
    return r.status === 200 ? r.body.trim() : null;
  };
  const doc = await get('/latest/dynamic/instance-identity/document');
  const d = doc ? JSON.parse(doc) as Record<string, string> : {};
  const mac = await get('/latest/meta-data/mac');
  return {
    tsUs: Date.now() * 1000, provider: 'aws',
    region: d.region ?? await get('/latest/meta-data/placement/region'),
    zone: d.availabilityZone ?? await get('/latest/meta-data/placement/availability-zone'),
    instanceId: d.instanceId ?? await get('/latest/meta-data/instance-id'),
    instanceType: d.instanceType ?? await get('/latest/meta-data/instance-type'),
    privateIp: d.privateIp ?? await get('/latest/meta-data/local-ipv4'),
    hostname: await get('/latest/meta-data/hostname'),
    vpcId: mac ? await get(`/latest/meta-data/network/interfaces/macs/${mac}/vpc-id`) : null,
    accountId: d.accountId ?? null,
  };
}

async function gcp(base: string, t: number): Promise<CloudMetadata> {
  const h = { 'Metadata-Flavor': 'Google' };
  const get = async (p: string): Promise<string | null> => {
    const r = await request(base, 'GET', `/computeMetadata/v1/${p}`, h, t);
    return r.status === 200 ? r.body.trim() : null;
  };
  const zonePath = await get('instance/zone');
  if (zonePath === null) throw new Error('not GCP');
  const zone = zonePath.split('/').pop() ?? null;
  return {
    tsUs: Date.now() * 1000, provider: 'gcp', zone, region: zone ? zone.replace(/-[a-z]$/, '') : null,
    instanceId: await get('instance/id'), instanceType: (await get('instance/machine-type'))?.split('/').pop() ?? null,
    privateIp: await get('instance/network-interfaces/0/ip'), hostname: await get('instance/hostname'),
    accountId: await get('project/project-id'),
  };
}

async function azure(base: string, t: number): Promise<CloudMetadata> {
  const r = await request(base, 'GET', '/metadata/instance?api-version=2021-02-01', { Metadata: 'true' }, t);
  if (r.status !== 200) throw new Error(`Azure IMDS: HTTP ${r.status}`);
  const m = JSON.parse(r.body) as { compute?: Record<string, string>; network?: { interface?: { ipv4?: { ipAddress?: { privateIpAddress?: string }[] } }[] } };
  const c = m.compute ?? {};
  return {
    tsUs: Date.now() * 1000, provider: 'azure', region: c.location ?? null, zone: c.zone ? `${c.location}-${c.zone}` : null,
    instanceId: c.vmId ?? null, instanceType: c.vmSize ?? null, hostname: c.name ?? null,
    privateIp: m.network?.interface?.[0]?.ipv4?.ipAddress?.[0]?.privateIpAddress ?? null, accountId: c.subscriptionId ?? null,
  };
}

/** Reads the instance metadata of `provider` (or the first that answers, for `auto`). Rejects with every reason. */
export async function readCloudMetadata(provider: CloudProvider | 'auto', opts: CloudOptions = {}): Promise<CloudMetadata> {
  const base = opts.endpoint ?? 'http://169.254.169.254';
  const t = opts.timeoutMs ?? 500;
  const order: CloudProvider[] = provider === 'auto' ? ['aws', 'gcp', 'azure'] : [provider];
  const reasons: string[] = [];
  for (const p of order) {
    try {
      return await (p === 'aws' ? aws(base, t) : p === 'gcp' ? gcp(base, t) : azure(base, t));
    } catch (err) {
      reasons.push(`${p}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`no cloud metadata (${reasons.join('; ')})`);
}
