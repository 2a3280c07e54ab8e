/**
 * A Ray cluster of several nodes on this machine, each bound to its own loopback address
 * (127.0.0.2, 127.0.0.3, …: Ray rewrites 127.0.0.1 to the machine's network address), with
 * the dashboard and usage stats off; stopped by killing exactly its own processes (everything
 * started with its temporary directory, and their descendants), so other clusters live on.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RAY_BIN = `${ROOT}.venv-ray/bin/ray`;
export const RAY_ENV = { RAY_USAGE_STATS_ENABLED: '0', RAY_AUTH_MODE: 'disabled' };

function processes(): Array<{ pid: number; ppid: number; args: string }> {
  const out: Array<{ pid: number; ppid: number; args: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(name), ppid, args });
    } catch {
      /* gone */
    }
  }
  return out;
}

export class RayCluster {
  private constructor(
    readonly address: string,
    readonly temp: string,
  ) {}

  /** Start a head on ips[0] and a node on each other ip, one CPU each. */
  static start(ips: readonly string[]): RayCluster {
    // Short: Ray's unix socket paths must stay under 108 bytes.
    const temp = mkdtempSync('/tmp/rt');
    const base = 40000 + (process.pid % 2000) * 4;
    const address = `${ips[0]}:${base}`;
    const cluster = new RayCluster(address, temp);
    const env = { ...process.env, ...RAY_ENV };
    const common = ['--num-cpus=1', '--disable-usage-stats'];
    try {
      execFileSync(
        RAY_BIN,
        [
          'start',
          '--head',
          `--node-ip-address=${ips[0]}`,
          `--port=${base}`,
          '--include-dashboard=false',
          `--dashboard-port=${base + 1}`,
          `--dashboard-agent-listen-port=${base + 2}`,
          `--temp-dir=${temp}`,
          ...common,
        ],
        { env, stdio: 'pipe' },
      );
      ips
        .slice(1)
        .forEach((ip, i) =>
          execFileSync(
            RAY_BIN,
            [
              'start',
              `--address=${address}`,
              `--node-ip-address=${ip}`,
              `--dashboard-agent-listen-port=${base + 3 + i * 1000}`,
              ...common,
            ],
            { env, stdio: 'pipe' },
          ),
        );
    } catch (error) {
      cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The PID of the raylet of the node at `ip`. */
  raylet(ip: string): number {
    const found = processes().find(
      (p) =>
        p.args.includes('/raylet/raylet ') &&
        p.args.includes(this.temp) &&
        p.args.includes(`--node_ip_address=${ip} `),
    );
    if (found === undefined) throw new Error(`no raylet for ${ip}`);
    return found.pid;
  }

  /** Kill every process of this cluster (those naming its temporary directory, and their descendants). */
  stop(): void {
    const all = processes();
    const doomed = new Set(all.filter((p) => p.args.includes(this.temp)).map((p) => p.pid));
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of all)
        if (!doomed.has(p.pid) && doomed.has(p.ppid)) {
          doomed.add(p.pid);
          grew = true;
        }
    }
    doomed.delete(process.pid);
    for (const pid of doomed) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(this.temp, { recursive: true, force: true });
  }
}
