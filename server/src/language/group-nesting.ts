/**
 * How deep groups nest and which contain themselves, in linear time and without recursion: a
 * chain of 10,000 groups (`group g2 = g1`, …) is as easy as one. Tarjan's strongly connected
 * components, with an explicit stack: a group contains itself when its component has more than
 * one group or it names itself; a group's depth is the size of its component plus the deepest
 * component it names (a group of segments is 1 level, a group of such groups 2). No walk through
 * a group's members (that visits each group once) goes deeper than that.
 */
import { WorkspaceCache, type LangiumSharedCoreServices } from 'langium';
import { isGroup, isNamedEndpoint, type Group } from './generated/ast.js';

export interface Nesting {
    depth: number;
    cyclic: boolean;
}

/** The groups a group names among its members (those that are linked). */
export function memberGroups(group: Group): Group[] {
    return group.members.flatMap(m => {
        const target = isNamedEndpoint(m) ? m.target?.ref : undefined;
        return isGroup(target) ? [target] : [];
    });
}

interface Frame {
    group: Group;
    members: Group[];
    next: number;
}

export class GroupNesting {
    /** Known until the workspace changes. */
    private readonly known: WorkspaceCache<Group, Nesting>;

    /** `members`: the groups a group names (linked, or as its names resolve before linking). */
    constructor(
        shared: LangiumSharedCoreServices,
        private readonly members: (group: Group) => Group[]
    ) {
        this.known = new WorkspaceCache(shared);
    }

    of(group: Group): Nesting {
        if (!this.known.has(group)) this.visit(group);
        return this.known.get(group)!;
    }

    /** Tarjan's algorithm from `root`, over the groups not known yet. */
    private visit(root: Group): void {
        const index = new Map<Group, number>();
        const low = new Map<Group, number>();
        const open: Group[] = [];
        const frames: Frame[] = [];
        const enter = (group: Group) => {
            index.set(group, index.size);
            low.set(group, index.get(group)!);
            open.push(group);
            frames.push({ group, members: this.members(group), next: 0 });
        };
        enter(root);
        while (frames.length > 0) {
            const frame = frames[frames.length - 1];
            if (frame.next < frame.members.length) {
                const member = frame.members[frame.next++];
                if (this.known.has(member)) continue;
                if (index.has(member)) low.set(frame.group, Math.min(low.get(frame.group)!, index.get(member)!));
                else enter(member);
                continue;
            }
            frames.pop();
            const parent = frames[frames.length - 1];
            if (parent) low.set(parent.group, Math.min(low.get(parent.group)!, low.get(frame.group)!));
            if (low.get(frame.group) === index.get(frame.group)) this.close(open.splice(open.lastIndexOf(frame.group)));
        }
    }

    /** A component whose members' other components are all known. */
    private close(component: Group[]): void {
        const inside = new Set(component);
        const named = component.flatMap(this.members);
        const below = named
            .filter(g => !inside.has(g))
            .reduce((deepest, g) => Math.max(deepest, this.known.get(g)!.depth), 0);
        const cyclic = component.length > 1 || named.includes(component[0]);
        for (const group of component) this.known.set(group, { depth: component.length + below, cyclic });
    }
}
