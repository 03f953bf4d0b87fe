/// <reference lib="dom" />
/** Runs in the topology webview: draws what the extension posts, with cytoscape (bundled). */
import cytoscape from 'cytoscape';
import type { Topology } from '../../server/src/lsp/protocol.js';

const container = document.getElementById('graph')!;
const title = document.getElementById('title')!;

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

window.addEventListener('message', (event: MessageEvent<{ topology: Topology }>) => draw(event.data.topology));
acquireVsCodeApi().postMessage('ready');

function draw(topology: Topology): void {
    const onPath = new Map<string, 'ok' | 'failing'>();
    for (const path of topology.paths) {
        for (let i = 0; i + 1 < path.devices.length; i++)
            onPath.set(edgeKey(path.devices[i], path.devices[i + 1]), path.failing ? 'failing' : 'ok');
    }
    const elements: cytoscape.ElementDefinition[] = [
        ...topology.devices.map(d => ({
            data: { id: d.name, label: `${d.name}\n${d.role}` },
            classes: d.name === topology.dropAt ? 'drop' : 'device'
        })),
        ...topology.places.map(p => ({ data: { id: `place:${p.name}`, label: p.name }, classes: 'place' })),
        ...topology.links.map((l, i) => ({
            data: { id: `link${i}`, source: l.a, target: l.b, label: l.label },
            classes: onPath.get(edgeKey(l.a, l.b)) ?? ''
        })),
        ...topology.places.map((p, i) => ({
            data: { id: `attach${i}`, source: `place:${p.name}`, target: p.device },
            classes: 'attachment'
        }))
    ];
    title.textContent = `${topology.network}${topology.requirement ? ` — ${topology.requirement}` : ''}`;
    cytoscape({
        container,
        elements,
        layout: { name: 'cose', animate: false },
        style: [
            {
                selector: 'node',
                style: {
                    label: 'data(label)',
                    'text-wrap': 'wrap',
                    'font-size': 10,
                    'background-color': '#4b7bec',
                    color: '#222',
                    'text-valign': 'bottom'
                }
            },
            { selector: '.place', style: { shape: 'round-rectangle', 'background-color': '#20bf6b' } },
            { selector: '.drop', style: { 'background-color': '#eb3b5a', 'border-width': 3, 'border-color': '#000' } },
            { selector: 'edge', style: { width: 2, 'line-color': '#aaa', 'curve-style': 'bezier' } },
            { selector: '.attachment', style: { 'line-style': 'dashed' } },
            { selector: '.ok', style: { 'line-color': '#20bf6b', width: 4 } },
            { selector: '.failing', style: { 'line-color': '#eb3b5a', width: 5 } }
        ]
    });
}

function edgeKey(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
}
