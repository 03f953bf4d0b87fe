/** The twin as a graph of devices, for routing decisions the compiler makes. */
import type { Edge, Graph } from '../net/shortest-paths.js';
import { interfaceName, type InterfaceKey, type Twin, type TwinLink } from '../twin/model.js';

export type Metric = 'cost' | 'hops' | 'latency';

export interface Topology {
    twin: Twin;
    /** Links that are up (neither end observed down). */
    links: TwinLink[];
    graph(metric: Metric): Graph;
    /** The link with this index and the ends seen from `device`. */
    ends(
        link: number,
        device: string
    ): { local: InterfaceKey; remote: InterfaceKey; remoteAddress?: number; remoteAddress6?: bigint };
}

export function buildTopology(twin: Twin): Topology {
    const up = twin.links.filter(l => !twin.down.has(interfaceName(l.a)) && !twin.down.has(interfaceName(l.b)));
    const graphs = new Map<Metric, Graph>();
    const weight: Record<Metric, (l: TwinLink) => number> = {
        cost: l => l.cost,
        hops: () => 1,
        // A link without latency still costs a little, so that fewer hops win among equals.
        latency: l => Math.max(1, l.latencyUs)
    };
    const graph = (metric: Metric): Graph => {
        let g = graphs.get(metric);
        if (!g) {
            const adjacency = new Map<string, Edge[]>([...twin.devices.keys()].map(d => [d, []]));
            up.forEach(link => {
                const index = twin.links.indexOf(link);
                adjacency.get(link.a.device)?.push({ to: link.b.device, cost: weight[metric](link), link: index });
                adjacency.get(link.b.device)?.push({ to: link.a.device, cost: weight[metric](link), link: index });
            });
            g = adjacency;
            graphs.set(metric, g);
        }
        return g;
    };
    return {
        twin,
        links: up,
        graph,
        ends(index, device) {
            const link = twin.links[index];
            const [local, remote] = link.a.device === device ? [link.a, link.b] : [link.b, link.a];
            const far = twin.devices.get(remote.device)?.interfaces.get(remote.interface);
            return { local, remote, remoteAddress: far?.address, remoteAddress6: far?.address6 };
        }
    };
}
