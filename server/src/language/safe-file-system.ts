/**
 * Langium reads intent files through its FileSystemProvider. This one reads them as every file a
 * user names is read (common/files.ts): regular files only, without blocking, up to a cap.
 */
import * as fs from 'node:fs';
import type { FileSystemNode, URI } from 'langium';
import type { DefaultSharedCoreModuleContext } from 'langium';
import { NodeFileSystemProvider } from 'langium/node';
import { fileProblem, MAX_FILE_BYTES, readRegular } from '../common/files.js';

/**
 * The largest intent file read at all, to keep the memory bounded: the language refuses a
 * smaller one with a diagnostic (limits.ts); the CLI refuses a larger one up front (cli/files.ts).
 */
export const MAX_INTENT_FILE_BYTES = MAX_FILE_BYTES;

/** `context` with its Node file system reading safely; any other (in memory) is left as it is. */
export function withSafeFiles<T extends DefaultSharedCoreModuleContext>(
    context: T,
    maxBytes = MAX_INTENT_FILE_BYTES
): T {
    return {
        ...context,
        fileSystemProvider: services => {
            const provider = context.fileSystemProvider(services);
            return provider instanceof NodeFileSystemProvider ? new SafeFileSystemProvider(maxBytes) : provider;
        }
    };
}

export class SafeFileSystemProvider extends NodeFileSystemProvider {
    constructor(private readonly maxBytes: number) {
        super();
    }

    override readBinarySync(uri: URI): Uint8Array {
        return readRegular(uri.fsPath, this.maxBytes);
    }

    override async readBinary(uri: URI): Promise<Uint8Array> {
        return this.readBinarySync(uri);
    }

    override readFileSync(uri: URI): string {
        return readRegular(uri.fsPath, this.maxBytes).toString('utf8');
    }

    override async readFile(uri: URI): Promise<string> {
        return this.readFileSync(uri);
    }

    // The editor indexes what these call files, and one it cannot read would stop the indexing.
    override async readDirectory(uri: URI): Promise<FileSystemNode[]> {
        return (await super.readDirectory(uri)).map(entry => this.readable(entry));
    }

    override readDirectorySync(uri: URI): FileSystemNode[] {
        return super.readDirectorySync(uri).map(entry => this.readable(entry));
    }

    private readable(entry: FileSystemNode): FileSystemNode {
        if (!entry.isFile) return entry;
        try {
            return fileProblem(entry.uri.fsPath, fs.statSync(entry.uri.fsPath), this.maxBytes)
                ? { ...entry, isFile: false }
                : entry;
        } catch {
            return { ...entry, isFile: false };
        }
    }
}
