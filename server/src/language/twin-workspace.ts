/**
 * The twins that intent files bind. Like LikeC4's workspace for files outside the DSL: the twin
 * YAML is not a Langium document, so this service loads it (synchronously, for the linker),
 * caches it per file, and takes unsaved editor contents that override what is on disk.
 */
import * as path from 'node:path';
import { URI, type FileSystemProvider, type LangiumDocument, type LangiumSharedCoreServices } from 'langium';
import { loadTwin, type TwinLoadResult } from '../twin/load.js';
import { isModel } from './generated/ast.js';

export class TwinWorkspace {
    private readonly fileSystem: FileSystemProvider;
    private readonly loaded = new Map<string, { result: TwinLoadResult; texts: Map<string, string | undefined> }>();
    private readonly openContents = new Map<string, string>();

    constructor(shared: LangiumSharedCoreServices) {
        this.fileSystem = shared.workspace.FileSystemProvider;
    }

    /** The twin file a document binds (absolute path), if it has a `twin` line. */
    twinFileOf(document: LangiumDocument): string | undefined {
        const root = document.parseResult.value;
        if (!isModel(root) || !root.twin?.path) return undefined;
        return path.resolve(path.dirname(document.uri.fsPath), root.twin.path);
    }

    get(file: string): TwinLoadResult {
        let entry = this.loaded.get(file);
        if (!entry) {
            const texts = new Map<string, string | undefined>();
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
        if (text === undefined) this.openContents.delete(file); else this.openContents.set(file, text);
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
            if ([...entry.texts].some(([f, text]) => this.read(f) !== text)) this.loaded.delete(twinFile);
        }
    }

    private read(file: string): string | undefined {
        const open = this.openContents.get(file);
        if (open !== undefined) return open;
        try {
            return this.fileSystem.readFileSync(URI.file(file));
        } catch {
            return undefined;
        }
    }
}
