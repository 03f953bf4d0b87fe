/** Packet filters written by hand for verifier tests, in the shape the compiler gives them. */
import type { FilterChain, FilterRule, PacketFilter, PacketMatch } from '../../server/src/config/model.js';
import { chainName, TABLE_NAME } from '../../server/src/config/nftables/render.js';

export interface IngressAcl {
    interface: string;
    rules: Array<{ action: 'accept' | 'drop'; match: PacketMatch; comment: string }>;
    /** What the chain does with packets no rule decides. */
    defaultAction: 'accept' | 'drop';
}

/**
 * The forward and input hooks jumping to one chain per ingress interface; `established`: replies
 * of connections the device saw pass first (as compiled).
 */
export function ingressFilter(acls: IngressAcl[], established = true): PacketFilter {
    const jumps: FilterRule[] = acls.map(a => ({
        iif: { names: [a.interface], negate: false },
        match: {},
        verdict: { kind: 'jump', chain: chainName(a.interface) },
        comment: ''
    }));
    const state: FilterRule[] = established
        ? [{ ctState: ['established', 'related'], match: {}, verdict: { kind: 'accept' }, comment: 'replies' }]
        : [];
    const base = (hook: 'input' | 'forward'): FilterChain => ({
        table: TABLE_NAME,
        name: hook,
        base: { hook, priority: 0, policy: 'accept' },
        rules: [...state, ...jumps]
    });
    const chains = acls.map((a): FilterChain => ({
        table: TABLE_NAME,
        name: chainName(a.interface),
        rules: [
            ...a.rules.map((r): FilterRule => ({ match: r.match, verdict: { kind: r.action }, comment: r.comment })),
            { match: {}, verdict: { kind: a.defaultAction }, comment: '' }
        ]
    }));
    return { chains: acls.length === 0 ? [] : [base('input'), base('forward'), ...chains] };
}
