/**
 * What of a twin's intents can be verified while some statements have errors (docs/cli.md,
 * "While statements have errors"); the CLI and the language server both verify through here.
 *
 * A requirement with errors in its text, and one that uses a group, service or scenario with
 * errors, is left out of what is compiled and verified. What it may mean once fixed is taken
 * wide: every part of it with errors stands for anything. A requirement whose packets or replies
 * overlap that is not verified: what the compiled filters (and steering) would do with those
 * packets is undecided, so its verdict is `unknown`, naming the statement; `default deny` depends
 * on every allow and deny this way. The rest are compiled and verified without the left-out
 * statements, and keep their proofs. Text the parser could not read as a statement may be any
 * statement: while there is some, every verdict of the twin is `unknown`.
 */
import * as path from 'node:path';
import { AstUtils, type AstNode, type LangiumDocument } from 'langium';
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver-types';
import { possiblePacketsLookup } from '../language/intent-build.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import { MAX_CONFLICTS } from '../intent/overlap.js';
import {
    isAllow,
    isDefaultPolicy,
    isGroup,
    isIntent,
    isScenario,
    isService,
    isVia,
    type Group,
    type Model,
    type Requirement as RequirementNode,
    type Scenario,
    type Service
} from '../language/generated/ast.js';
import type { BoundProgram } from '../language/intent-programs.js';
import { count } from '../language/limits.js';
import { prefixRange } from '../net/ipv4.js';
import { PacketSet } from '../net/packet-set.js';
import type { TwinLoadResult } from '../twin/load.js';
import type { Twin } from '../twin/model.js';
import type { RequirementVerdict } from '../verify/verify.js';

/** The code of a diagnostic as reports show it: Langium's lexing and parsing errors are `syntax`. */
export function diagnosticCode(diagnostic: LspDiagnostic): string {
    const data = diagnostic.data as { code?: string } | undefined;
    const raw = String(diagnostic.code ?? data?.code ?? 'error');
    return raw === 'lexing-error' || raw === 'parsing-error' ? 'syntax' : raw;
}

/** An error in what is written (a violation is what the verifier found, not an error in the text). */
export function isErrorInText(diagnostic: LspDiagnostic): boolean {
    return (
        (diagnostic.severity ?? DiagnosticSeverity.Error) === DiagnosticSeverity.Error && diagnostic.code !== 'violated'
    );
}

/** Whether a twin's own files have errors: then none of its intents is compiled or verified. */
export function twinHasErrors(loaded: TwinLoadResult): boolean {
    return loaded.diagnostics.some(d => d.severity === 'error');
}

/** Whether a twin, or an intent file bound to it, has errors in its text: then it is not compiled. */
export function boundHasErrors(bound: BoundProgram): boolean {
    return twinHasErrors(bound.loaded) || bound.documents.some(d => (d.diagnostics ?? []).some(isErrorInText));
}

/** Whether errors stand in a statement's text (an intent's includes its requirements'). */
export function hasErrors(node: AstNode): boolean {
    return errorsOf(AstUtils.getDocument(node)).byNode.has(node);
}

export interface VerifiablePart {
    /** The twin's program without the requirements left out; none when nothing of it can be verified. */
    program?: IntentProgram;
    /** Requirements whose verdict is unknown because of errors elsewhere, with why: they are not verified. */
    undecided: Map<Requirement, string>;
}

/** A requirement left out, what it may be about once fixed, and how a reason names it. */
interface LeftOut {
    requirement: Requirement;
    traffic: PacketSet;
    /** "the allow at main.intent:7" */
    statement: string;
    /** "has errors", "uses group 'web' with errors (main.intent:3)" */
    why: string;
}

/** What of a twin's intents can be verified, and why the rest cannot (see the top of this file). */
export function verifiablePart(bound: BoundProgram): VerifiablePart {
    const { program, statementOf } = bound;
    const requirements = [...statementOf.keys(), ...(program.defaultRequirement ? [program.defaultRequirement] : [])];
    const statementOfRequirement = (requirement: Requirement) =>
        requirement.kind === 'default' ? bound.defaultStatement : statementOf.get(requirement);
    /** Every requirement undecided, but those with errors of their own. */
    const nothingVerifiable = (reason: string): VerifiablePart => ({
        undecided: new Map(requirements.filter(r => !hasErrors(statementOfRequirement(r)!)).map(r => [r, reason]))
    });

    for (const document of bound.documents) {
        const [unread] = errorsOf(document).unread;
        if (unread)
            return nothingVerifiable(
                `${path.basename(document.uri.fsPath)}:${unread.range.start.line + 1} could not be read, and what it says may change this verdict`
            );
    }
    // Overlap resolution stopped there: what each statement decides is not known.
    if (program.conflicts.length >= MAX_CONFLICTS) {
        return nothingVerifiable(
            `${count(MAX_CONFLICTS)} pairs of an allow and a deny overlap with neither containing the other, and overlaps past those are not resolved`
        );
    }

    const statements = bound.documents.flatMap(d => d.parseResult.value.statements);
    // By kind and name: a name declared twice may mean either declaration.
    const brokenDeclarations = new Map<string, Declaration>();
    for (const statement of statements) {
        if (
            (isGroup(statement) || isService(statement) || isScenario(statement)) &&
            hasErrors(statement) &&
            !brokenDeclarations.has(declarationKey(statement))
        ) {
            brokenDeclarations.set(declarationKey(statement), statement);
        }
    }
    const brokenUse = (node: AstNode) =>
        brokenDeclarations.size === 0
            ? undefined
            : declarationsUsedBy(node)
                  .map(d => brokenDeclarations.get(declarationKey(d)))
                  .find(d => d !== undefined);

    const possiblePackets = possiblePacketsLookup(program.twin);
    const leftOut: LeftOut[] = [];
    const undecided = new Map<Requirement, string>();
    for (const [requirement, node] of statementOf) {
        const own = hasErrors(node);
        const declaration = own ? undefined : brokenUse(node);
        if (!own && !declaration) continue;
        const why = declaration
            ? `uses ${declaration.$type.toLowerCase()} '${declaration.name}' with errors (${where(declaration)})`
            : 'has errors';
        if (declaration) undecided.set(requirement, `it ${why}`);
        const errors = errorsOf(AstUtils.getDocument(node)).byNode.get(node) ?? [];
        const unknownPart = (part: AstNode) =>
            errors.some(offset => holds(part, offset)) || brokenUse(part) !== undefined;
        const traffic = possibleTraffic(
            node as RequirementNode,
            possiblePackets(node as RequirementNode, unknownPart),
            program.twin
        );
        leftOut.push({ requirement, traffic, statement: `the ${requirement.kind} at ${where(node)}`, why });
    }
    const brokenDefault = statements.find(s => isDefaultPolicy(s) && hasErrors(s));
    if (leftOut.length === 0 && !brokenDefault) return { program, undecided };

    const left = new Set(leftOut.map(l => l.requirement));
    const anyLeftOut = leftOut.reduce((set, l) => set.union(l.traffic), PacketSet.EMPTY);
    for (const requirement of requirements) {
        if (left.has(requirement)) continue;
        if (requirement.kind === 'default') {
            const first = leftOut.find(l => meets(l.traffic, requirement));
            const reason = brokenDefault
                ? `the 'default' line at ${where(brokenDefault)} has errors`
                : first && `what it covers depends on every allow and deny, and ${first.statement} ${first.why}`;
            if (reason) undecided.set(requirement, reason);
            continue;
        }
        if (!meets(anyLeftOut, requirement)) continue;
        const first = leftOut.find(l => meets(l.traffic, requirement))!;
        undecided.set(requirement, `its packets or replies overlap those of ${first.statement}, which ${first.why}`);
    }
    // Every conflict's statements have errors: none is kept.
    const intents = program.intents.map(intent => ({
        ...intent,
        requirements: intent.requirements.filter(r => !left.has(r))
    }));
    return { program: { ...program, intents, conflicts: [], tooCarved: [] }, undecided };
}

/**
 * The verdict of each requirement statement of a twin (and of its `default deny` line): those
 * verified, and those unknown because of errors elsewhere. A statement with errors of its own has none.
 */
export function statementVerdicts(
    bound: BoundProgram,
    part: VerifiablePart,
    verified: ReadonlyMap<Requirement, RequirementVerdict>
): Map<AstNode, RequirementVerdict> {
    const byStatement = new Map<AstNode, RequirementVerdict>();
    const undecided = [...part.undecided].map(([requirement, reason]): [Requirement, RequirementVerdict] => [
        requirement,
        { verdict: 'unknown', unknown: reason, devices: new Set(), paths: 0, pathDevices: [], scenarios: 0 }
    ]);
    for (const [requirement, verdict] of [...verified, ...undecided]) {
        const statement = requirement.kind === 'default' ? bound.defaultStatement : bound.statementOf.get(requirement);
        if (statement) byStatement.set(statement, verdict);
    }
    return byStatement;
}

type Declaration = Group | Service | Scenario;

/** The groups, services and scenarios a statement uses, directly or through groups. */
function declarationsUsedBy(node: AstNode, found = new Set<Declaration>()): Declaration[] {
    for (const child of AstUtils.streamAst(node)) {
        for (const reference of AstUtils.streamReferences(child)) {
            const target = 'ref' in reference.reference ? reference.reference.ref : undefined;
            if ((isGroup(target) || isService(target) || isScenario(target)) && !found.has(target)) {
                found.add(target);
                declarationsUsedBy(target, found);
            }
        }
    }
    return [...found];
}

function declarationKey(declaration: Declaration): string {
    return `${declaration.$type}\n${declaration.name}`;
}

/**
 * What a left-out statement may be about once fixed: the packets it may match, their replies
 * where it is a stateful allow, and for a `via any of` every packet to the loopback pool (such a
 * set gets an address of its own from it, which routing announces, and leaving one out moves the
 * others').
 */
function possibleTraffic(node: RequirementNode, packets: PacketSet, twin: Twin): PacketSet {
    const traffic = isAllow(node) && !node.oneway ? packets.union(packets.replies()) : packets;
    const anycast = isAllow(node) && node.clauses.some(c => isVia(c) && c.anyOf);
    return anycast && twin.loopbackPool
        ? traffic.union(PacketSet.cube({ dst: prefixRange(twin.loopbackPool) }))
        : traffic;
}

/** Whether a requirement's packets, or their replies where it is stateful, meet a set. */
function meets(set: PacketSet, requirement: Requirement): boolean {
    return (
        set.intersects(requirement.packets) || (requirement.stateful && set.intersects(requirement.packets.replies()))
    );
}

/** "main.intent:7" */
function where(node: AstNode): string {
    return `${path.basename(AstUtils.getDocument(node).uri.fsPath)}:${(node.$cstNode?.range.start.line ?? 0) + 1}`;
}

/** Whether an offset of the file lies within a node's text. */
function holds(node: AstNode, offset: number): boolean {
    const cst = node.$cstNode;
    return cst !== undefined && cst.offset <= offset && offset < cst.end;
}

/** Where the errors of an intent file stand. */
interface FileErrors {
    /** Each statement, and each requirement, with errors in its text (an intent's include its requirements'): where they start. */
    byNode: Map<AstNode, number[]>;
    /**
     * Errors that leave text unread as any statement: syntax errors (but inside a group, service
     * or scenario, whose uses they break), errors outside every statement, and the problems past
     * those reported.
     */
    unread: LspDiagnostic[];
}

/** By the diagnostics they were found in: each build (and each verification) gives a document new ones. */
const fileErrors = new WeakMap<readonly LspDiagnostic[], FileErrors>();

function errorsOf(document: LangiumDocument): FileErrors {
    const diagnostics = document.diagnostics ?? [];
    let errors = fileErrors.get(diagnostics);
    if (!errors) fileErrors.set(diagnostics, (errors = attributeErrors(document, diagnostics)));
    return errors;
}

function attributeErrors(document: LangiumDocument, diagnostics: readonly LspDiagnostic[]): FileErrors {
    const errors: FileErrors = { byNode: new Map(), unread: [] };
    const statements = (document.parseResult.value as Model).statements.filter(s => s.$cstNode);
    for (const diagnostic of diagnostics) {
        if (!isErrorInText(diagnostic)) continue;
        const offset = document.textDocument.offsetAt(diagnostic.range.start);
        const statement = nodeAt(statements, offset);
        const requirement = isIntent(statement)
            ? nodeAt(
                  statement.requirements.filter(r => r.$cstNode),
                  offset
              )
            : undefined;
        const code = diagnosticCode(diagnostic);
        const inDeclaration = isGroup(statement) || isService(statement) || isScenario(statement);
        if (!statement || code === 'too-many-problems' || (code === 'syntax' && !inDeclaration))
            errors.unread.push(diagnostic);
        for (const node of [statement, requirement]) {
            if (!node) continue;
            const offsets = errors.byNode.get(node);
            if (offsets) offsets.push(offset);
            else errors.byNode.set(node, [offset]);
        }
    }
    return errors;
}

/** The node whose text holds an offset, among nodes in the order of the text. */
function nodeAt<T extends AstNode>(nodes: readonly T[], offset: number): T | undefined {
    let low = 0;
    let high = nodes.length - 1;
    let found: T | undefined;
    while (low <= high) {
        const middle = (low + high) >> 1;
        if (nodes[middle].$cstNode!.offset <= offset) {
            found = nodes[middle];
            low = middle + 1;
        } else {
            high = middle - 1;
        }
    }
    return found && holds(found, offset) ? found : undefined;
}
