/**
 * The twins that intent files bind. Like LikeC4's workspace for files outside the DSL: the twin
 * YAML is not a Langium document, so this service loads it (synchronously, for the linker),
 * caches it per file, and takes unsaved editor contents that override what is on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI, type LangiumDocument, type LangiumSharedCoreServices } from 'langium';
import { FileRefused, isWithin, MAX_FILE_BYTES, readRegularFile } from '../common/files.js';
import { loadTwin, type ReadFile, type TwinLoadResult } from '../twin/load.js';
import { isModel } from './generated/ast.js';

/**
 * Where twins and their containerlab topologies may be read from: a twin path is written by
 * whoever wrote the intent file, and what a twin holds ends up in reports that CI logs keep.
 */
export interface TwinScope {
    folders: readonly string[];
    /** How the user allows a file outside the folders, e.g. "run with --allow-outside FILE". */
    howToAllow: (file: string) => string;
}

/** How to read a twin outside the editor's workspace folders. */
const EDITOR_ALLOW = () => "add a folder that holds it to the editor's workspace";

type ReadResult = ReturnType<ReadFile>;

export class TwinWorkspace {
    private readonly loaded = new Map<string, { result: TwinLoadResult; texts: Map<string, ReadResult> }>();
    private readonly openContents = new Map<string, string>();
    private scope?: TwinScope;

    constructor(private readonly shared: LangiumSharedCoreServices) {}

    /** The twin file a document binds (absolute path), if it has a `twin` line. */
    twinFileOf(document: LangiumDocument): string | undefined {
        const root = document.parseResult.value;
        if (!isModel(root) || !root.twin?.path) return undefined;
        return path.resolve(path.dirname(document.uri.fsPath), root.twin.path);
    }

    /** The folders a run may read twins from (the CLI's); without, the editor's workspace folders. */
    setScope(scope: TwinScope | undefined): void {
        if (scope === this.scope) return;
        this.scope = scope;
        this.loaded.clear();
    }

    get(file: string): TwinLoadResult {
        let entry = this.loaded.get(file);
        if (!entry) {
            const texts = new Map<string, ReadResult>();
            const result = loadTwin(file, f => {
                const text = this.read(f);
                texts.set(f, text);
                return text;
            });
            entry = { result, texts };
            this.loaded.set(file, entry);
        }
        return entry.result;
    }

    /** The twin a document binds, if it binds one. */
    forDocument(document: LangiumDocument): TwinLoadResult | undefined {
        const file = this.twinFileOf(document);
        return file === undefined ? undefined : this.get(file);
    }

    /** An editor holds this file with unsaved changes (or closed it: `text` undefined). */
    setOpenContent(file: string, text: string | undefined): void {
        if (text === undefined) this.openContents.delete(file);
        else this.openContents.set(file, text);
        this.changed(file);
    }

    /** Forgets every twin read from `file`; returns the twin files that were affected. */
    changed(file: string): string[] {
        const affected = [...this.loaded.entries()].filter(([, e]) => e.texts.has(file)).map(([f]) => f);
        for (const twinFile of affected) this.loaded.delete(twinFile);
        return affected;
    }

    /**
     * Forgets the twins whose files read differently now (edited on disk, created or removed);
     * the others stay loaded, the same objects, so that what was computed from them still holds.
     */
    refresh(): void {
        for (const [twinFile, entry] of [...this.loaded]) {
            if ([...entry.texts].some(([f, text]) => !sameRead(this.read(f), text))) this.loaded.delete(twinFile);
        }
    }

    private read(file: string): ReadResult {
        const outside = this.outside(file);
        if (outside) return { refused: outside };
        const open = this.openContents.get(file);
        if (open !== undefined) return open;
        try {
            return readRegularFile(file, MAX_FILE_BYTES);
        } catch (error) {
            if (error instanceof FileRefused) return { refused: error.message };
            throw error;
        }
    }

    /** Why `file` may not be read because it is outside the scope, if it is. */
    private outside(file: string): string | undefined {
        const scope = this.currentScope();
        if (!scope) return undefined;
        // Through links too: a link in the workspace may point anywhere.
        const real = realPath(file);
        if (scope.folders.some(folder => isWithin(real, realPath(folder)))) return undefined;
        return `'${file}' is outside the workspace (${scope.folders.join(', ')}): twins and their topologies are read only inside it. To read it, ${scope.howToAllow(file)}.`;
    }

    private currentScope(): TwinScope | undefined {
        if (this.scope) return this.scope;
        const folders =
            this.shared.workspace.WorkspaceManager.workspaceFolders?.map(f => URI.parse(f.uri).fsPath) ?? [];
        // An editor with no folder open has no workspace to keep to.
        return folders.length > 0 ? { folders, howToAllow: EDITOR_ALLOW } : undefined;
    }
}

function sameRead(a: ReadResult, b: ReadResult): boolean {
    return typeof a === 'object' && typeof b === 'object' ? a.refused === b.refused : a === b;
}

/** `file` with every link followed, as far as it exists. */
function realPath(file: string): string {
    try {
        return fs.realpathSync(file);
    } catch {
        return path.resolve(file);
    }
}
