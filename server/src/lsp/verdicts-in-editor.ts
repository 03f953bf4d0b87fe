/**
 * Verdicts where the engineer reads: a code lens per intent ("✓ holds · 2 paths · survives
 * 1 link failure" / "✗ violated · dropped at core1 by …"), and hovers that show what a name
 * stands for in the twin and what the verifier found for a requirement.
 */
import { AstUtils, CstUtils, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import { AstNodeHoverProvider, type CodeLensProvider } from 'langium/lsp';
import type { CodeLens, CodeLensParams, Hover, HoverParams } from 'vscode-languageserver';
import { hasErrors } from '../check/verifiable.js';
import { describePacket } from '../net/packet-set.js';
import {
    isDefaultPolicy,
    isGroup,
    isIntent,
    isNamedEndpoint,
    isRequirement,
    type Group,
    type Intent,
    type Model
} from '../language/generated/ast.js';
import { groupAddresses } from '../language/intent-build.js';
import type { NetintentLspServices } from './netintent-lsp-module.js';
import { TWIN_KIND_NAMES } from '../language/twin-symbols.js';
import { describeAddresses, NO_ADDRESSES } from '../net/family.js';
import type { RequirementVerdict } from '../verify/verify.js';
import type { VerificationScheduler } from './verification.js';
import { twinReferenceAt } from './twin-navigation.js';
import type { IntentPrograms } from '../language/intent-programs.js';

/** The code lens of a statement with errors in it: it is not verified, and the errors say why. */
const HAS_ERRORS = '✗ error · see the errors in it';

/** A verdict in a few words. */
export function summarizeVerdict(
    verdict: Pick<RequirementVerdict, 'counterexample' | 'paths' | 'unknown'>,
    survive?: { count: number; kind: string }
): string {
    if (verdict.counterexample) return `✗ violated · ${verdict.counterexample.reason}`;
    if (verdict.unknown) return `? unknown · ${verdict.unknown}`;
    const parts = [`✓ holds`, `${verdict.paths} path${verdict.paths === 1 ? '' : 's'}`];
    if (survive) parts.push(`survives ${survive.count} ${survive.kind} failure${survive.count === 1 ? '' : 's'}`);
    return parts.join(' · ');
}

export class NetintentCodeLensProvider implements CodeLensProvider {
    private readonly verification: VerificationScheduler;

    constructor(services: NetintentLspServices) {
        this.verification = services.editor.Verification;
    }

    provideCodeLens(document: LangiumDocument, _params: CodeLensParams): MaybePromise<CodeLens[]> {
        const lenses: CodeLens[] = [];
        for (const statement of (document.parseResult.value as Model).statements) {
            if (!statement.$cstNode) continue;
            const range = { start: statement.$cstNode.range.start, end: statement.$cstNode.range.start };
            if (isDefaultPolicy(statement) && statement.action === 'deny') {
                const verdict = this.verification.verdictOf(statement);
                const title = hasErrors(statement)
                    ? HAS_ERRORS
                    : verdict
                      ? summarizeVerdict(verdict)
                      : '… not verified';
                lenses.push({ range, command: { title, command: '' } });
            }
            if (isIntent(statement))
                lenses.push({ range, command: { title: this.intentTitle(statement), command: '' } });
        }
        return lenses;
    }

    /** As the CLI has an intent's verdict: its errors first; the verdict of each requirement is in its hover. */
    private intentTitle(intent: Intent): string {
        if (hasErrors(intent)) return HAS_ERRORS;
        const verdicts = intent.requirements.map(r => this.verification.verdictOf(r));
        if (verdicts.length === 0) return 'no requirements';
        if (verdicts.some(v => v === undefined)) return '… not verified';
        const violated = intent.requirements.findIndex((_, i) => verdicts[i]!.counterexample);
        if (violated >= 0) {
            const prefix = intent.requirements.length > 1 ? `requirement ${violated + 1}: ` : '';
            return summarizeVerdict(verdicts[violated]!).replace('✗ violated · ', `✗ violated · ${prefix}`);
        }
        const unknown = verdicts.find(v => v!.unknown);
        if (unknown) return summarizeVerdict(unknown);
        const paths = verdicts.reduce((n, v) => n + v!.paths, 0);
        const survive = intent.requirements.flatMap(r => r.clauses).find(c => c.$type === 'Survive') as
            { count: number; kind: string } | undefined;
        return summarizeVerdict({ paths }, survive);
    }
}

export class NetintentHoverProvider extends AstNodeHoverProvider {
    private readonly verification: VerificationScheduler;
    private readonly programs: IntentPrograms;

    constructor(services: NetintentLspServices) {
        super(services);
        this.verification = services.editor.Verification;
        this.programs = services.intent.IntentPrograms;
    }

    override async getHoverContent(document: LangiumDocument, params: HoverParams): Promise<Hover | undefined> {
        const offset = document.textDocument.offsetAt(params.position);
        const twin = twinReferenceAt(document, offset);
        if (twin) {
            return {
                contents: {
                    kind: 'markdown',
                    value: `**${TWIN_KIND_NAMES[twin.target.$type]} ${twin.target.name}** — ${twin.target.detail}`
                },
                range: twin.node.range
            };
        }
        const leaf = CstUtils.findLeafNodeAtOffset(document.parseResult.value.$cstNode!, offset);
        if (!leaf) return undefined;
        const named = AstUtils.getContainerOfType(leaf.astNode, isNamedEndpoint);
        const group = named?.target.ref;
        if (isGroup(group)) return { contents: { kind: 'markdown', value: this.describeGroup(document, group) } };
        const requirement = AstUtils.getContainerOfType(leaf.astNode, isRequirement);
        const statement: AstNode | undefined =
            requirement ?? (isDefaultPolicy(leaf.astNode) ? leaf.astNode : undefined);
        if (statement) {
            const verdict = this.verification.verdictOf(statement);
            const value = verdict
                ? describeVerdict(verdict)
                : hasErrors(statement)
                  ? 'Not verified: it has errors.'
                  : 'Not verified yet (or the twin has errors).';
            return { contents: { kind: 'markdown', value } };
        }
        return super.getHoverContent(document, params);
    }

    protected override getAstNodeHoverContent(): MaybePromise<string | undefined> {
        return undefined;
    }

    /** A group: how it is written and the addresses it stands for in the twin. */
    private describeGroup(document: LangiumDocument, group: Group): string {
        const twin = this.programs.forDocument(document)?.program.twin;
        const members = twin ? groupAddresses(twin, group) : undefined;
        // Each family up to its own limit: a fragmented IPv4 space (an external's) would otherwise hide every IPv6 range.
        const addresses = members
            ? [
                  { ...NO_ADDRESSES, v4: members.v4 },
                  { ...NO_ADDRESSES, v6: members.v6 }
              ]
                  .map(family => describeAddresses(family, 8))
                  .filter(text => text !== '')
                  .join(', ')
            : '';
        return `**group ${group.name}**\n\n\`${group.$cstNode?.text ?? ''}\`${addresses ? `\n\naddresses: ${addresses}` : ''}`;
    }
}

function describeVerdict(verdict: RequirementVerdict): string {
    const lines = [`**${summarizeVerdict(verdict)}**`];
    if (verdict.scenarios > 0)
        lines.push(`${verdict.scenarios} failure scenario${verdict.scenarios === 1 ? '' : 's'} examined`);
    const c = verdict.counterexample;
    if (!c && verdict.pathDevices.length > 0) {
        const shown = verdict.pathDevices.slice(0, 8).map(p => p.join(' → '));
        lines.push(`paths: ${shown.join('; ')}${verdict.pathDevices.length > 8 ? '; …' : ''}`);
    }
    if (c) {
        lines.push(`packet: \`${describePacket(c.packet)}\``);
        if (c.failures.length > 0) lines.push(`with failed: ${c.failures.join(', ')}`);
        lines.push(
            `path: ${c.hops.map(h => `${h.device}${h.in ? ` (in ${h.in})` : ''}${h.out ? ` (out ${h.out})` : ''}`).join(' → ')}`
        );
        if (c.branches.length > 1)
            lines.push(`failing ECMP branches: ${c.branches.map(b => b.join(' → ')).join('; ')}`);
    }
    return lines.join('\n\n');
}
