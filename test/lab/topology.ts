/**
 * The NAT lab's network: a "public" segment (10.77.0.0/24: relay, public
 * peer, the routers' WAN sides) and two home LANs behind NAT routers —
 * LAN A (192.168.1.0/24, hosts a1 and a2) and LAN B (192.168.2.0/24, host b1).
 * A router masquerades LAN traffic leaving its WAN side and, like a home
 * router, drops every new connection from outside (`ct state` filter).
 * Nothing routes beyond these ranges; public hosts have no route to the LANs.
 */
import type { Namespaces } from './netns.ts'

/** The public segment: counted as public by every lab node (`public_networks`). */
export const PUBLIC_NETWORK = '10.77.0.0/24'

/** One host of the lab: its namespace role and its address. */
export interface LabHost {
  role: string
  ip: string
}

/** The hosts, by role. */
export const HOSTS = {
  relay: { role: 'relay', ip: '10.77.0.10' },
  public: { role: 'public', ip: '10.77.0.20' },
  a1: { role: 'a1', ip: '192.168.1.10' },
  a2: { role: 'a2', ip: '192.168.1.11' },
  b1: { role: 'b1', ip: '192.168.2.10' }
} satisfies Record<string, LabHost>

interface Router {
  role: string
  wanIp: string
  lanIp: string
  hosts: LabHost[]
}

const ROUTERS: Router[] = [
  { role: 'ra', wanIp: '10.77.0.2', lanIp: '192.168.1.1', hosts: [HOSTS.a1, HOSTS.a2] },
  { role: 'rb', wanIp: '10.77.0.3', lanIp: '192.168.2.1', hosts: [HOSTS.b1] }
]

/** A home router: masquerade out of `wan0`, and only replies or LAN-originated traffic in. */
function routerRules (): string {
  return `
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade
  }
}
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iif "lo" accept
    ct state established,related accept
    iifname "lan0" accept
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan0" oifname "wan0" accept
    # with br_netfilter loaded (Docker does), frames between two LAN hosts pass this hook too
    iifname "lan0" oifname "lan0" accept
  }
}
`
}

/** Builds the whole network; throws on the first command that fails (the caller cleans up). */
export async function buildTopology (ns: Namespaces): Promise<void> {
  // The public segment's switch: a bridge in a namespace of its own.
  await ns.add('pub')
  await ns.ip('pub', 'link', 'add', 'br0', 'type', 'bridge')
  await ns.ip('pub', 'link', 'set', 'br0', 'up')
  let port = 0
  const plug = async (role: string, name: string, ip: string, prefix: number): Promise<void> => {
    const portName = `p${port++}`
    await ns.veth('pub', portName, role, name)
    await ns.ip('pub', 'link', 'set', portName, 'master', 'br0')
    await ns.ip(role, 'addr', 'add', `${ip}/${prefix}`, 'dev', name)
  }
  for (const host of [HOSTS.relay, HOSTS.public]) {
    await ns.add(host.role)
    await plug(host.role, 'eth0', host.ip, 24)
    // mDNS and UPnP discovery are multicast: they need a route even without a default one
    await ns.ip(host.role, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
  }
  for (const router of ROUTERS) {
    await ns.add(router.role)
    await plug(router.role, 'wan0', router.wanIp, 24)
    // no IGMP querier runs on this LAN: snooping off, so mDNS always floods to every host
    await ns.ip(router.role, 'link', 'add', 'lan0', 'type', 'bridge', 'mcast_snooping', '0')
    await ns.ip(router.role, 'link', 'set', 'lan0', 'up')
    await ns.ip(router.role, 'addr', 'add', `${router.lanIp}/24`, 'dev', 'lan0')
    let hostPort = 0
    for (const host of router.hosts) {
      await ns.add(host.role)
      const portName = `h${hostPort++}`
      await ns.veth(router.role, portName, host.role, 'eth0')
      await ns.ip(router.role, 'link', 'set', portName, 'master', 'lan0')
      await ns.ip(host.role, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0')
      await ns.ip(host.role, 'route', 'add', 'default', 'via', router.lanIp)
      await ns.ip(host.role, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
    }
    await ns.exec(router.role, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1')
    await ns.nft(router.role, routerRules())
  }
}
