import { ImportError, type TwinImport } from './document.js';

export async function importNetbox(source: string, _options: { token?: string }): Promise<TwinImport> {
    throw new ImportError(source, 'not yet supported');
}
