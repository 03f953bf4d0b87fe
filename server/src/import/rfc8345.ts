import { ImportError, type TwinImport } from './document.js';

export function importRfc8345(file: string): TwinImport {
    throw new ImportError(file, 'not yet supported');
}
